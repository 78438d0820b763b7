using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Git;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>
/// Which commit a pull request's policy is read at (real git): its base branch's head when the run
/// starts, never a ref the PR's author could name into place; the event's base when that head is
/// unknown or stale, with a note for the log.
/// </summary>
public sealed class TrustedBaseTests : IAsyncLifetime
{
    private GitRepo _repo = null!;
    private string _opened = "";   // main when the PR was opened (the event's base)
    private string _head = "";     // the PR's head
    private string _tightened = ""; // main after a later tightening
    private readonly GitCli _git = new();

    public async Task InitializeAsync()
    {
        _repo = await GitRepo.CreateAsync();
        _repo.Write("planbot.yaml", "approval: { destructive: false }\n").Write("app/main.tf", "");
        _opened = await _repo.CommitAsync("base");
        await _repo.GitAsync("checkout", "-q", "-b", "pr");
        _repo.Write("app/main.tf", "# change\n");
        _head = await _repo.CommitAsync("the PR");
        await _repo.GitAsync("checkout", "-q", "main");
        _repo.Write("planbot.yaml", "approval: { destructive: true }\n");
        _tightened = await _repo.CommitAsync("main tightens the policy after the PR was opened");
        await _repo.GitAsync("checkout", "-q", "pr");
    }

    public Task DisposeAsync()
    {
        _repo.Dispose();
        return Task.CompletedTask;
    }

    private PullRequestInfo Pr(string baseRef = "main", string? baseSha = null) => new() { Number = 7, HeadSha = _head, BaseSha = baseSha ?? _opened, BaseRef = baseRef };

    [Fact]
    public async Task The_base_branchs_head_now_is_trusted_and_the_prs_changes_are_judged_from_its_fork_point()
    {
        var trusted = await TrustedBase.ResolveAsync(_git, _repo.Root, Pr(), CancellationToken.None);
        trusted.ShouldBe(new TrustedBase(_tightened, $"base main at {_tightened[..7]}", _opened, null));

        var run = await RunConfigLoader.LoadForPullRequestAsync(_git, _repo.Root, trusted, null, null, CancellationToken.None);
        run.Config.Approval.Destructive.ShouldBeTrue("the rule tightened on main after the PR was opened applies");
        run.Config.PolicyChanges.ShouldBeEmpty("the PR is only behind main: it changes no policy key");

        // the PR now loosens the key itself: the tightened rule still holds, and the change is reported
        _repo.Write("planbot.yaml", "approval: { destructive: false, allow_self_approval: true }\n");
        var loosening = await _repo.CommitAsync("loosen");
        trusted = await TrustedBase.ResolveAsync(_git, _repo.Root, Pr() with { HeadSha = loosening }, CancellationToken.None);
        run = await RunConfigLoader.LoadForPullRequestAsync(_git, _repo.Root, trusted, null, null, CancellationToken.None);
        (run.Config.Approval.Destructive, run.Config.Approval.AllowSelfApproval).ShouldBe((true, false));
        run.Config.PolicyChanges.ShouldBe(["approval"]);
    }

    [Fact]
    public async Task A_pr_into_another_branch_gets_the_default_branchs_policy_never_its_base_branchs()
    {
        // someone with push access creates a branch whose planbot.yaml turns approvals off, and opens the PR against it
        await _repo.GitAsync("checkout", "-q", "-b", "loose", _opened);
        _repo.Write("planbot.yaml", "approval: { destructive: false, allow_self_approval: true }\n");
        var loose = await _repo.CommitAsync("a branch with its own rules");
        await _repo.GitAsync("checkout", "-q", "pr");
        var intoLoose = Pr("loose", loose) with { DefaultBranch = "main" };

        var trusted = await TrustedBase.ResolveAsync(_git, _repo.Root, intoLoose, CancellationToken.None);
        trusted.Sha.ShouldBe(_tightened, "main's head, not the PR's base branch");
        var run = await RunConfigLoader.LoadForPullRequestAsync(_git, _repo.Root, trusted, null, null, CancellationToken.None);
        (run.Config.Approval.Destructive, run.Config.Approval.AllowSelfApproval).ShouldBe((true, false));

        // the default branch missing from the checkout is an error naming the fix, never a fall back to the base branch
        var missing = await Should.ThrowAsync<PlanBot.Core.Common.UsageException>(() => TrustedBase.ResolveAsync(_git, _repo.Root, intoLoose with { DefaultBranch = "trunk" }, CancellationToken.None));
        missing.Message.ShouldContain("its policy is read from the default branch trunk, which is not in the checkout");
    }

    [Fact]
    public async Task The_fetched_remote_branch_wins_over_a_local_one_and_refs_named_like_it_are_ignored()
    {
        await _repo.GitAsync("update-ref", "refs/remotes/origin/main", _tightened);
        await _repo.GitAsync("update-ref", "refs/heads/main", _opened); // a local branch left behind
        // someone pushed a tag and a branch named origin/main at the PR's own head: `origin/main` would resolve to the tag
        await _repo.GitAsync("tag", "origin/main", _head);
        await _repo.GitAsync("branch", "origin/main", _head);

        (await TrustedBase.ResolveAsync(_git, _repo.Root, Pr(), CancellationToken.None)).Sha.ShouldBe(_tightened);
    }

    [Fact]
    public async Task A_stale_fetch_a_missing_branch_or_a_hostile_branch_name_fall_back_to_the_events_base_with_a_note()
    {
        (await TrustedBase.ResolveAsync(_git, _repo.Root, Pr(baseSha: _tightened), CancellationToken.None)).Note.ShouldBeNull("the branch is at the event's base");
        await _repo.GitAsync("update-ref", "refs/heads/main", _opened); // the checkout's main is older than the event's base
        var stale = await TrustedBase.ResolveAsync(_git, _repo.Root, Pr(baseSha: _tightened), CancellationToken.None);
        stale.Sha.ShouldBe(_tightened);
        stale.Note.ShouldBe($"#7: the policy is read at the event's base {_tightened[..7]}, not at the head of main as it is now: main in the checkout ({_opened[..7]}) is older than the event's base (a stale fetch)");

        var gone = await TrustedBase.ResolveAsync(_git, _repo.Root, Pr("release/2024"), CancellationToken.None);
        (gone.Sha, gone.Label).ShouldBe((_opened, $"base {_opened[..7]}"));
        gone.Note.ShouldNotBeNull().ShouldEndWith("neither origin/release/2024 nor release/2024 is in the checkout (fetch the base branch)");

        foreach (var hostile in (string[])["--upload-pack=touch /tmp/pwned", "main:refs/heads/x", "../main", "main^", "main@{1}", "main\n", "HEAD~1"])
        {
            var refused = await TrustedBase.ResolveAsync(_git, _repo.Root, Pr(hostile), CancellationToken.None);
            refused.Sha.ShouldBe(_opened, hostile);
            refused.Note.ShouldNotBeNull().ShouldContain("is not a plain branch name");
        }
    }

    [Fact]
    public async Task The_fork_point_is_asked_beside_the_branchs_head_and_taken_when_the_branch_is_the_events_base()
    {
        var git = new RecordingGit(holdFirstRef: true);
        var resolving = TrustedBase.ResolveAsync(git, _repo.Root, Pr(baseSha: _tightened), CancellationToken.None);
        git.Snapshot().ShouldBe([$"merge-base {_tightened} {_head}", "first-ref"], "both asked before the branch's head is known");
        resolving.IsCompleted.ShouldBeFalse();
        git.Release();

        (await resolving).ShouldBe(new TrustedBase(_tightened, $"base main at {_tightened[..7]}", _opened, null));
        git.Snapshot().ShouldBe([$"merge-base {_tightened} {_head}", "first-ref"], "the guess was the answer: nothing asked again");

        // a stale fetch: the event's base is trusted, so the guess is taken there too
        await _repo.GitAsync("update-ref", "refs/heads/main", _opened);
        var stale = new RecordingGit();
        (await TrustedBase.ResolveAsync(stale, _repo.Root, Pr(baseSha: _tightened), CancellationToken.None)).ForkPoint.ShouldBe(_opened);
        stale.Snapshot().Count(q => q == $"merge-base {_tightened} {_head}").ShouldBe(1);
    }

    [Fact]
    public async Task A_guessed_fork_point_is_not_taken_when_the_branch_moved_on_and_its_failure_is_never_seen()
    {
        var marker = $"the guessed merge base must not be used ({Guid.NewGuid():N})";
        var git = new RecordingGit { Fail = q => q == $"merge-base {_opened} {_head}" ? new InvalidOperationException(marker) : null };
        TrustedBase? trusted = null;
        var unobserved = await UnobservedErrors.DuringAsync(marker, async () => trusted = await TrustedBase.ResolveAsync(git, _repo.Root, Pr(), CancellationToken.None));

        trusted.ShouldBe(new TrustedBase(_tightened, $"base main at {_tightened[..7]}", _opened, null), "main moved on: its own merge base with the head");
        git.Snapshot().ShouldContain($"merge-base {_tightened} {_head}");
        git.Snapshot().ShouldContain($"merge-base {_tightened} {_opened}", "the staleness check");
        unobserved.ShouldBeEmpty("the discarded guess's failure was marked as seen");
    }
}
