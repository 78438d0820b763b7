using PlanBot.Core.Ports;

namespace PlanBot.Testing;

/// <summary>Plans in a dictionary keyed by <see cref="PlanKey.Name"/>, for workflow tests (the real stores pass PlanStoreContract).</summary>
public sealed class InMemoryPlanStore : IPlanStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StoredPlan> _plans = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names
    {
        get
        {
            lock (_gate)
            {
                return [.. _plans.Keys];
            }
        }
    }

    public Task PutAsync(PlanKey key, StoredPlan plan, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _plans[key.Name] = plan;
        }

        return Task.CompletedTask;
    }

    public Task<StoredPlan?> GetAsync(PlanKey key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_plans.GetValueOrDefault(key.Name));
        }
    }

    public Task<int> DeletePullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken)
    {
        var prefix = new PlanKey(repo, pullRequest, "-", "-").PullRequestPrefix;
        lock (_gate)
        {
            var names = _plans.Keys.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
            foreach (var name in names)
            {
                _plans.Remove(name);
            }

            return Task.FromResult(names.Length);
        }
    }
}
