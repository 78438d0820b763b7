using PlanBot.Core.Plans;
using PlanBot.Core.Ports;

namespace PlanBot.Local.Plans;

/// <summary>The <c>local</c> plan store: sealed files under PLANBOT_DATA_DIR/plans, written atomically (temp file + rename).</summary>
public sealed class LocalPlanStore(string root, byte[]? key) : IPlanStore
{
    public async Task PutAsync(PlanKey planKey, StoredPlan plan, CancellationToken cancellationToken)
    {
        var path = PathOf(planKey);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        await File.WriteAllBytesAsync(temporary, PlanEnvelope.Seal(plan, key, planKey), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    public async Task<StoredPlan?> GetAsync(PlanKey planKey, CancellationToken cancellationToken)
    {
        var path = PathOf(planKey);
        if (!File.Exists(path))
        {
            return null;
        }

        return PlanEnvelope.Open(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), key, path, planKey);
    }

    public Task<int> DeletePullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(root, new PlanKey(repo, pullRequest, "x", "x").PullRequestPrefix);
        if (!Directory.Exists(dir))
        {
            return Task.FromResult(0);
        }

        var count = Directory.EnumerateFiles(dir, "*.plan", SearchOption.AllDirectories).Count();
        Directory.Delete(dir, recursive: true);
        return Task.FromResult(count);
    }

    /// <summary>Where an object lives (tests tamper with it there).</summary>
    public string PathOf(PlanKey planKey) => Path.Combine(root, planKey.Name);
}
