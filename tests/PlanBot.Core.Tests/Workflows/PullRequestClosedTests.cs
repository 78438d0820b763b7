using System.Text;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

public sealed class PullRequestClosedTests : IDisposable
{
    private readonly TempDir _dir = new("planbot-closed");

    [Fact]
    public async Task Closing_a_pr_releases_only_its_project_locks_and_deletes_its_plans()
    {
        var locks = new InMemoryLockStore();
        var plans = new InMemoryPlanStore();
        LockOwner Pr(int n) => new("acme/infra", n, "sha", "u" + n, "run-" + n);
        LockKey Project(string dir) => new(LockKind.Project, "acme/infra", dir, "default");
        await locks.AcquireAsync(Project("a"), Pr(1), TimeSpan.FromDays(7), CancellationToken.None);
        await locks.AcquireAsync(Project("b"), Pr(1), TimeSpan.FromDays(7), CancellationToken.None);
        await locks.AcquireAsync(Project("c"), Pr(2), TimeSpan.FromDays(7), CancellationToken.None);
        await plans.PutAsync(new PlanKey("acme/infra", 1, "sha", "a"), new StoredPlan(Encoding.UTF8.GetBytes("plan"), "{}"), CancellationToken.None);
        var log = new List<string>();

        var cleanup = await new PullRequestClosedWorkflow(locks, plans, new Progress(log)).RunAsync("acme/infra", 1, CancellationToken.None);

        cleanup.Released.Select(l => l.Key.Dir).Order().ShouldBe(["a", "b"]);
        cleanup.PlansDeleted.ShouldBe(1);
        (await locks.ListAsync("acme/infra", CancellationToken.None)).Single().Key.Dir.ShouldBe("c");
        log.ShouldContain("released planbot:project:acme/infra/a/default held by #1 (@u1) since " + cleanup.Released.First(l => l.Key.Dir == "a").Since.ToString("u"));
    }

    private sealed class Progress(List<string> log) : IProgress<string>
    {
        public void Report(string value) => log.Add(value);
    }

    public void Dispose() => _dir.Dispose();
}
