using System.Reflection;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Git;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>
/// The PR's file list is asked of the code host first, beside the git questions and while planbot.yaml
/// is read (issue 19), and only for a run that will want it whatever the trusted policy says: never for
/// a draft, a fork or a fanned-out job. A run the trusted side refuses drops the list unused. Real git.
/// </summary>
public sealed class PullRequestStartTests : IAsyncLifetime
{
    private GitRepo _repo = null!;
    private string _base = "";
    private string _head = "";
    private readonly GitCli _git = new();

    public async Task InitializeAsync()
    {
        _repo = await GitRepo.CreateAsync();
        _repo.Write("planbot.yaml", "approval: { destructive: true }\n").Write("app/main.tf", "");
        _base = await _repo.CommitAsync("base");
        await _repo.GitAsync("checkout", "-q", "-b", "pr");
        _repo.Write("app/main.tf", "# change\n");
        _head = await _repo.CommitAsync("the PR");
    }

    public Task DisposeAsync()
    {
        _repo.Dispose();
        return Task.CompletedTask;
    }

    private PullRequestInfo Pr => new() { Number = 7, HeadSha = _head, BaseSha = _base, BaseRef = "main", DefaultBranch = "main" };

    [Fact]
    public async Task The_file_list_is_not_waited_for_by_the_config()
    {
        var vcs = Host.Create();
        var started = await PullRequestStart.RunAsync(_git, vcs, "acme/infra", _repo.Root, Pr, listFiles: true, null, null, null, CancellationToken.None);

        (await Host.Of(vcs).Asks).ShouldBe(["GetChangedFilesAsync #7"]);
        started.Config.Config.Approval.Destructive.ShouldBeTrue("the policy came from main");
        started.ChangedFiles.ShouldNotBeNull().IsCompleted.ShouldBeFalse("the host has not answered, yet the configuration is read: they ran side by side");
        Host.Of(vcs).ListToken.IsCancellationRequested.ShouldBeFalse("a run that starts keeps its list coming");
        Host.Of(vcs).Answer([new ChangedFile("app/main.tf", FileChangeKind.Modified)]);
        (await started.ChangedFiles).ShouldNotBeNull().Single().Path.ShouldBe("app/main.tf");
    }

    [Fact]
    public async Task The_first_wave_asks_the_file_list_the_head_the_config_and_the_fork_point_at_the_events_base_beside_the_branchs_head()
    {
        var git = new RecordingGit(holdFirstRef: true);
        var vcs = Host.Create();
        var running = PullRequestStart.RunAsync(git, vcs, "acme/infra", _repo.Root, Pr, listFiles: true, null, null, null, CancellationToken.None);
        git.Snapshot().ShouldBe([$"resolve {_head}", $"show {_base}", $"merge-base {_base} {_head}", "first-ref"], "one wave, before the trusted side is known");
        running.IsCompleted.ShouldBeFalse();
        (await Host.Of(vcs).Asks).ShouldBe(["GetChangedFilesAsync #7"], "the code host's slow answer is asked with the first wave, not after the trusted side");
        git.Release();

        var started = await running;
        started.Config.Config.Approval.Destructive.ShouldBeTrue("the policy came from main, which is the event's base");
        git.Snapshot().ShouldBe([$"resolve {_head}", $"show {_base}", $"merge-base {_base} {_head}", "first-ref"], "the guesses were the answers: nothing read again");
        (await Host.Of(vcs).Asks).ShouldBe(["GetChangedFilesAsync #7"]);
    }

    [Fact]
    public async Task A_checkout_whose_main_is_ahead_of_the_events_base_is_judged_by_mains_policy_never_by_the_config_read_ahead()
    {
        // main moved on after the event and loosened the rule; the event's base (read ahead) still has destructive: true
        await _repo.GitAsync("checkout", "-q", "main");
        _repo.Write("planbot.yaml", "approval: { destructive: false }\n");
        var ahead = await _repo.CommitAsync("main loosens the rule after the event");
        await _repo.GitAsync("checkout", "-q", "pr");
        await _repo.GitAsync("update-ref", "refs/remotes/origin/main", ahead);
        await _repo.GitAsync("update-ref", "refs/heads/main", _base); // the local branch is left behind: the fetched one counts

        var git = new RecordingGit();
        var started = await PullRequestStart.RunAsync(git, Host.Create(), "acme/infra", _repo.Root, Pr, listFiles: true, null, null, null, CancellationToken.None);
        started.Trusted.Sha.ShouldBe(ahead);
        started.Config.Config.Approval.Destructive.ShouldBeFalse("origin/main's policy, not the event's base's");
        started.Config.Config.PolicyChanges.ShouldBeEmpty("judged against the fork point: the read ahead, taken for that side only");
        git.Snapshot().ShouldContain($"show {ahead}");
        git.Snapshot().Count(q => q == $"show {_base}").ShouldBe(1, "the fork point is the event's base: its read ahead is not asked again");
    }

    [Fact]
    public async Task A_read_ahead_the_run_does_not_take_is_never_told()
    {
        // a PR into another branch: the event's base is that branch's commit, never the trusted side
        await _repo.GitAsync("checkout", "-q", "-b", "release", _base);
        _repo.Write("planbot.yaml", "approval: { destructive: false }\n");
        var release = await _repo.CommitAsync("a branch with its own rules");
        await _repo.GitAsync("checkout", "-q", "pr");
        var marker = $"cannot read the release branch's planbot.yaml ({Guid.NewGuid():N})";
        var git = new RecordingGit { Fail = q => q == $"show {release}" ? new PlanBot.Core.Common.UsageException(marker) : null };

        PullRequestStarted? started = null;
        var unobserved = await UnobservedErrors.DuringAsync(marker, async () => started = await PullRequestStart.RunAsync(git, Host.Create(), "acme/infra", _repo.Root,
            Pr with { BaseRef = "release", BaseSha = release }, listFiles: true, null, null, null, CancellationToken.None));

        git.Snapshot().ShouldContain($"show {release}", "read ahead");
        started.ShouldNotBeNull().Trusted.Sha.ShouldBe(_base);
        started.Config.Config.Approval.Destructive.ShouldBeTrue("main's policy");
        git.Snapshot().ShouldContain($"show {_base}");
        unobserved.ShouldBeEmpty("the discarded read's failure was marked as seen");
    }

    [Fact]
    public void Drafts_forks_fanned_out_jobs_and_named_projects_do_not_list_files_early()
    {
        PullRequestStart.ListsFilesEarly(Pr, null, ProjectSelection.Affected).ShouldBeTrue();
        PullRequestStart.ListsFilesEarly(Pr with { Draft = true }, null, ProjectSelection.Affected).ShouldBeFalse("plan_drafts comes from the trusted policy");
        PullRequestStart.ListsFilesEarly(Pr with { FromFork = true }, null, ProjectSelection.Affected).ShouldBeFalse("plan_forks comes from the trusted policy");
        PullRequestStart.ListsFilesEarly(Pr, new FanOutRun { Phase = FanOutPhase.Matrix }, ProjectSelection.Affected).ShouldBeFalse("a fan-out checks its stores first");
        PullRequestStart.ListsFilesEarly(Pr, null, ProjectSelection.Of(["app"])).ShouldBeFalse("named projects need no list");
    }

    [Fact]
    public async Task Nothing_is_asked_when_the_list_is_not_wanted()
    {
        var vcs = Host.Create();
        var started = await PullRequestStart.RunAsync(_git, vcs, "acme/infra", _repo.Root, Pr with { Draft = true }, listFiles: false, null, null, null, CancellationToken.None);
        started.ChangedFiles.ShouldBeNull();
        Host.Of(vcs).Asked.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_run_the_trusted_side_refuses_cancels_the_list_asked_meanwhile()
    {
        // a PR into another branch whose default branch is not in the checkout: refused, with the list still on its way
        var vcs = Host.Create();
        var refused = Pr with { BaseRef = "release", DefaultBranch = "trunk" };
        var error = await Should.ThrowAsync<PlanBot.Core.Common.UsageException>(() => PullRequestStart.RunAsync(_git, vcs, "acme/infra", _repo.Root, refused, listFiles: true, null, null, null, CancellationToken.None));
        error.Message.ShouldContain("its policy is read from the default branch trunk", customMessage: "the trusted side's refusal is the error told");
        (await Host.Of(vcs).Asks).ShouldBe(["GetChangedFilesAsync #7"]);
        Host.Of(vcs).ListToken.IsCancellationRequested.ShouldBeTrue("the run ended: the list's remaining pages are not asked for");
    }

    [Fact]
    public async Task An_invalid_trusted_planbot_yaml_is_the_error_told_and_the_list_asked_meanwhile_leaves_nothing_unobserved()
    {
        await _repo.GitAsync("checkout", "-q", "main");
        _repo.Write("planbot.yaml", "approval: { destructive: maybe }\n");
        await _repo.CommitAsync("broken on main");
        await _repo.GitAsync("checkout", "-q", "pr");
        var marker = $"GET /repos/acme/infra/pulls/7/files: 502 ({Guid.NewGuid():N})";
        var unobserved = await UnobservedErrors.DuringAsync(marker, () => FailWithTheListAskedAsync(marker));
        unobserved.ShouldBeEmpty("the failed list's error was marked as seen");
    }

    private async Task FailWithTheListAskedAsync(string failure)
    {
        var vcs = Host.Create();
        Host.Of(vcs).Fail = new VcsException(failure, 502);
        var error = await Should.ThrowAsync<ConfigException>(() => PullRequestStart.RunAsync(_git, vcs, "acme/infra", _repo.Root, Pr, listFiles: true, null, null, null, CancellationToken.None));
        error.Errors.Single().File.ShouldStartWith("planbot.yaml (base main at ");
        (await Host.Of(vcs).Asks).ShouldBe(["GetChangedFilesAsync #7"]);
    }

    /// <summary>The code host: records what is asked; the file list is answered when the test says so (or fails).</summary>
    public class Host : DispatchProxy
    {
        private readonly TaskCompletionSource<IReadOnlyList<ChangedFile>?> _files = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private readonly TaskCompletionSource _asked = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Asked { get; } = [];

        /// <summary>What was asked, once something was (the list is asked on the thread pool).</summary>
        public Task<List<string>> Asks => WaitForAsks();

        private async Task<List<string>> WaitForAsks()
        {
            await _asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
            lock (Asked)
            {
                return [.. Asked];
            }
        }

        public Exception? Fail { get; set; }

        /// <summary>The cancellation token the file list was asked with.</summary>
        public CancellationToken ListToken { get; private set; }

        public static IVcs Create() => Create<IVcs, Host>();

        public static Host Of(IVcs vcs) => (Host)(object)vcs;

        public void Answer(IReadOnlyList<ChangedFile> files) => _files.SetResult(files);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            lock (Asked)
            {
                Asked.Add($"{targetMethod!.Name} #{args![1]}");
                ListToken = args.OfType<CancellationToken>().FirstOrDefault();
            }

            _asked.TrySetResult();

            return targetMethod.Name == nameof(IVcs.GetChangedFilesAsync)
                ? Fail is { } fail ? Task.FromException<IReadOnlyList<ChangedFile>?>(fail) : _files.Task
                : throw new InvalidOperationException($"{targetMethod.Name}: the start of a run asks nothing else of the code host");
        }
    }
}
