using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>The merge releases what nothing waits for; the close of a merged PR left its locks to it.</summary>
public sealed class MergeWorkflowTests : IDisposable
{
    private readonly TempDir _dir = new("planbot-merge");
    private readonly InMemoryVcs _github = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("mallory/infra")]
    public async Task A_merged_pr_with_no_recorded_plan_or_from_a_fork_applies_nothing_and_releases_its_project_locks(string? fork)
    {
        var locks = new InMemoryLockStore();
        var pr = new LockOwner("acme/infra", 5, "head", "alice", "r1");
        await locks.AcquireAsync(new LockKey(LockKind.Project, "acme/infra", "network", "default"), pr, TimeSpan.FromDays(7), CancellationToken.None);
        await locks.AcquireAsync(new LockKey(LockKind.Project, "acme/infra", "dns", "default"), pr with { PullRequest = 6 }, TimeSpan.FromDays(7), CancellationToken.None);
        _github.AddPull(5, "head", "base", forkRepo: fork);
        _github.Pulls[5] = _github.Pulls[5] with { Merged = true, State = "closed" };
        _github.CommitPulls["merge"] = [5];
        var vcs = _github;
        var merges = new MergeWorkflow(vcs, new NoPlanning("nothing to plan"), new ApplyWorkflow(new FakeTerraform()), locks, locks, TimeProvider.System);
        var context = new PullRequestContext { Repo = "acme/infra", PullRequest = new PullRequestInfo { Number = 0, HeadSha = "merge", BaseSha = "merge" }, RepoDir = _dir.Path, RunId = "r2" };

        var applied = await merges.RunAsync(context, "merge", PlanBotConfig.Default, CancellationToken.None);

        (fork is null ? applied is null : applied is { Count: 0 }).ShouldBeTrue();
        if (fork is not null)
        {
            _github.CommentsOn(5).Single().Body.ShouldEndWith("PlanBot never applies changes from a fork.");
        }

        (await locks.ListAsync("acme/infra", CancellationToken.None)).Select(l => (l.Key.Dir, l.Owner.PullRequest)).ShouldBe([("dns", 6)]);
    }
}
