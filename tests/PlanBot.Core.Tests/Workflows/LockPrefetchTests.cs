using PlanBot.Core.Config;
using PlanBot.Core.Rendering;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;
using PlanBot.Core.Workflows;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>
/// A PR's run starts the lock backend's reads (<see cref="ILockStore.Prefetch"/>: the github backend's read of the
/// other open PRs' locks) once its file list is known and before the projects are found, so they overlap discovery
/// (issue 19); never for a PR that changes only Markdown, which plans nothing, and never for a gather, which takes no project lock.
/// </summary>
public sealed class LockPrefetchTests
{
    private static readonly PullRequestInfo Pr = new() { Number = 7, HeadSha = new string('b', 40), BaseSha = new string('a', 40), Author = "alice" };

    [Theory]
    [InlineData("app/main.tf", true)]
    [InlineData("scripts/deploy.sh", true)]
    [InlineData("README.md", false)]
    public async Task The_lock_reads_start_before_the_plan_when_the_files_can_affect_a_project(string changed, bool prefetched) =>
        (await PrefetchedBeforeThePlanAsync([new ChangedFile(changed, FileChangeKind.Modified), new ChangedFile("docs/notes.md", FileChangeKind.Added)]))
            .ShouldBe(prefetched ? ["acme/infra#7 by alice, run 9"] : []);

    [Fact]
    public async Task A_list_too_long_for_the_host_counts_as_affecting_projects() =>
        (await PrefetchedBeforeThePlanAsync(null)).ShouldBe(["acme/infra#7 by alice, run 9"], "more than GitHub lists: git diff decides later");

    [Fact]
    public async Task A_gather_reads_nothing_ahead() =>
        (await PrefetchedBeforeThePlanAsync([new ChangedFile("app/main.tf", FileChangeKind.Modified)], new FanOutRun { Phase = FanOutPhase.Gather })).ShouldBe([]);

    /// <summary>Runs the PR's workflow with <paramref name="changed"/> as its file list up to where it plans; what was prefetched by then.</summary>
    private static async Task<IReadOnlyList<string>> PrefetchedBeforeThePlanAsync(IReadOnlyList<ChangedFile>? changed, FanOutRun? fanOut = null)
    {
        var locks = new PrefetchSpy();
        var planner = new Planner(locks);
        var context = new PullRequestContext
        {
            Repo = "acme/infra",
            PullRequest = Pr,
            RepoDir = "/nowhere",
            RunId = "9",
            FanOut = fanOut,
            ChangedFiles = Task.FromResult(changed),
        };

        // a fanned-out run needs a shared plan store
        var workflow = new PullRequestWorkflow(new InMemoryVcs(), planner, locks, new InMemoryLockStore(), TimeProvider.System, plans: new InMemoryPlanStore());
        (await Should.ThrowAsync<InvalidOperationException>(() => workflow.RunAsync(context, PlanBotConfig.Default with { PlansStore = "s3" }, new CommentOptions(), CancellationToken.None)))
            .Message.ShouldBe(Planner.Stop);
        return planner.PrefetchedBeforePlan.ShouldNotBeNull();
    }

    /// <summary>Stops the run where it would plan, noting which prefetches had been asked by then.</summary>
    private sealed class Planner(PrefetchSpy locks) : IPlanRunner
    {
        public const string Stop = "the test stops where the plan starts";

        public IReadOnlyList<string>? PrefetchedBeforePlan { get; private set; }

        public Task<RunReport> PlanAsync(PlanTarget target, PlanBotConfig config, ILockStore? store, CancellationToken cancellationToken)
        {
            PrefetchedBeforePlan = [.. locks.Prefetched];
            throw new InvalidOperationException(Stop);
        }
    }

    /// <summary>A strict in-memory lock store that records what was prefetched.</summary>
    private sealed class PrefetchSpy : ILockStore
    {
        private readonly InMemoryLockStore _inner = new();

        public List<string> Prefetched { get; } = [];

        public Task<LockResult> AcquireAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken) => _inner.AcquireAsync(key, owner, ttl, cancellationToken);

        public Task<LockResult> ReleaseAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken) => _inner.ReleaseAsync(key, owner, cancellationToken);

        public Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken) => _inner.ListAsync(repo, cancellationToken);

        public void Prefetch(LockOwner owner) => Prefetched.Add($"{owner.Repo}#{owner.PullRequest} by {owner.User}, run {owner.RunId}");
    }
}
