using PlanBot.Core.Runs;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Local.Locks;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Local.Tests.Locks;

/// <summary>Project locks in the plan workflow, with real git and terraform and the embedded store.</summary>
public sealed class ProjectLockLifecycleTests : IDisposable
{
    private readonly TempDir _dir = new("planbot-lock-lifecycle");

    [Fact]
    public async Task A_second_pr_gets_locked_by_the_first_for_the_shared_project_while_its_other_project_plans()
    {
        var locks = new SqliteLockStore(_dir.Combine("locks.db"), TimeProvider.System);
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "a"),
            ["app/main.tf"] = LocalBackend + Resource("svc", "a"),
        });
        var first = new LockOwner("acme/infra", 1, "sha1", "alice", "run-1");
        var second = new LockOwner("acme/infra", 2, "sha2", "bob", "run-2");

        var one = await scenario.PlanChangeAsync(new Dictionary<string, string?> { ["network/main.tf"] = LocalBackend + Resource("vpc", "b") }, owner: first, locks: locks, branch: "pr-1");
        one.Projects.Single().Status.ShouldBe(ProjectStatus.Planned);

        var two = await scenario.PlanChangeAsync(new Dictionary<string, string?>
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "c"),
            ["app/main.tf"] = LocalBackend + Resource("svc", "c"),
        }, owner: second, locks: locks, branch: "pr-2");
        var network = two.Projects.Single(p => p.Project.Name == "network");
        network.Status.ShouldBe(ProjectStatus.Locked);
        network.Error.ShouldStartWith("locked by #1 (@alice, since ");
        two.Projects.Single(p => p.Project.Name == "app").Status.ShouldBe(ProjectStatus.Planned);

        // PR 1 re-plans a new push and keeps its lock; its run lock is gone once the run ended.
        (await locks.ListAsync("acme/infra", CancellationToken.None)).Select(l => (l.Key.Kind, l.Key.Dir, l.Owner.PullRequest)).Order()
            .ShouldBe([(LockKind.Project, "app", 2), (LockKind.Project, "network", 1)]);

        // PR 1 is closed: its lock is released and PR 2's next plan gets the project.
        (await locks.ReleaseAsync(new LockKey(LockKind.Project, "acme/infra", "network", "default"), first, CancellationToken.None)).ShouldBeOfType<LockResult.Released>();
        var again = await scenario.PlanHeadAsync((await scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim(), owner: second, locks: locks);
        again.Projects.Single(p => p.Project.Name == "network").Status.ShouldBe(ProjectStatus.Planned);
    }

    /// <summary>
    /// A PR claims every project it changes when its run starts (issue 19: all of a run's locks asked at
    /// once), so a project an upstream failure leaves unplanned is still its own: another PR cannot plan it
    /// from under the change that is waiting for its upstream to be fixed.
    /// </summary>
    [Fact]
    public async Task A_pr_holds_the_lock_of_a_changed_project_its_failed_upstream_left_unplanned()
    {
        var locks = new SqliteLockStore(_dir.Combine("locks.db"), TimeProvider.System);
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "a") + Output("cidr", "terraform_data.vpc.output"),
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "a"),
        });
        await scenario.ApplyAsync("network");
        var first = new LockOwner("acme/infra", 1, "sha1", "alice", "run-1");
        var report = await scenario.PlanChangeAsync(new Dictionary<string, string?>
        {
            ["network/main.tf"] = LocalBackend + "resource \"terraform_data\" \"vpc\" {\n  input = file(\"missing.txt\")\n}\n",
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "b"),
        }, owner: first, locks: locks, branch: "pr-1");
        report.Projects.Single(p => p.Project.Name == "network").Status.ShouldBe(ProjectStatus.Failed);
        report.Projects.Single(p => p.Project.Name == "app").Status.ShouldBe(ProjectStatus.Skipped);
        (await locks.ListAsync("acme/infra", CancellationToken.None)).Where(l => l.Key.Kind == LockKind.Project).Select(l => (l.Key.Dir, l.Owner.PullRequest)).Order()
            .ShouldBe([("app", 1), ("network", 1)]);

        var second = new LockOwner("acme/infra", 2, "sha2", "bob", "run-2");
        var two = await scenario.PlanChangeAsync(new Dictionary<string, string?> { ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "c") }, owner: second, locks: locks, branch: "pr-2");
        two.Projects.Single().Status.ShouldBe(ProjectStatus.Locked);
    }

    public void Dispose() => _dir.Dispose();
}
