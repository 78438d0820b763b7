using PlanBot.Core.Comments;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.GitHub.Auth;
using PlanBot.GitHub.Locks;
using PlanBot.GitHub.Rest;
using PlanBot.Testing;

namespace PlanBot.GitHub.Tests;

/// <summary>The lock contract on the github backend, against the fake GitHub (best-effort: no 32-way race, no run locks).</summary>
public sealed class CommentLockStoreTests : LockStoreContract, IAsyncLifetime
{
    private FakeGitHub _github = null!;

    public async Task InitializeAsync() => _github = await WithOpenPullsAsync();

    /// <summary>A fake GitHub with PRs #1–#40 open: the PRs whose comments the backend keeps locks in.</summary>
    internal static async Task<FakeGitHub> WithOpenPullsAsync()
    {
        var github = await FakeGitHub.StartAsync();
        for (var pr = 1; pr <= 40; pr++)
        {
            github.AddPull(pr, $"head{pr}", "base");
        }

        return github;
    }

    public async Task DisposeAsync() => await _github.DisposeAsync();

    protected override ILockStore CreateStore() => new CommentLockStore(Client(_github), Clock);

    internal static GitHubClient Client(FakeGitHub github) =>
        new(GitHubClient.CreateHttp(github.Url, [], new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(10) }), new StaticToken(FakeGitHub.Token));

    [Fact]
    public async Task Approvals_are_not_kept_in_its_lock_records_the_comment_is_their_record()
    {
        var store = (IApprovalStore)CreateStore();
        store.KeepsApprovals.ShouldBeFalse();
        await Should.ThrowAsync<NotSupportedException>(() => store.UpdateApprovalsAsync(Network, Pr(7), _ => "[alice]", CancellationToken.None));
    }

    [Fact]
    public async Task Locks_live_in_the_hidden_metadata_of_the_prs_plan_comment_and_vanish_when_the_pr_closes()
    {
        var store = CreateStore();
        var key = new LockKey(LockKind.Project, "acme/infra", "envs/prod/network", "default");
        (await store.AcquireAsync(key, new("acme/infra", 7, "abc", "alice", "r"), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();

        var comment = _github.CommentsOn(7).Single();
        comment.Body.ShouldStartWith("<!-- planbot:plan -->\n### PlanBot is planning `abc`");
        PlanCommentMeta.Read(comment.Body)!.ShouldContain("\"dir\":\"envs/prod/network\"");

        // the plan comment replaces the placeholder and keeps the metadata
        await PlanCommentWriter.WriteAsync(Client(_github), "acme/infra", 7, ["<!-- planbot:plan -->\nthe plan\n"], CancellationToken.None);
        PlanCommentMeta.Read(_github.CommentsOn(7).Single().Body).ShouldNotBeNull();
        (await store.AcquireAsync(key, new("acme/infra", 8, "def", "bob", "r"), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.HeldBy>().Owner.User.ShouldBe("alice");

        _github.Pulls[7]["state"] = "closed";
        (await store.AcquireAsync(key, new("acme/infra", 8, "def", "bob", "r"), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
    }

    [Theory]
    [InlineData("\"locks\":\"all of them\"")]
    [InlineData("\"locks\":[null]")]
    [InlineData("\"locks\":[{\"dir\":5}]")]
    [InlineData("\"locks\":[{\"dir\":\"envs/prod/network\",\"workspace\":\"default\"}]")]
    public async Task Damaged_lock_metadata_holds_no_lock_and_the_next_write_keeps_the_other_sections(string locks)
    {
        _github.AddComment(8, PlanCommentMeta.With("<!-- planbot:plan -->\nthe plan of #8\n", $"{{\"plan\":{{\"head\":\"def\"}},{locks}}}"), "planbot[bot]");
        var store = CreateStore();
        (await store.ListAsync("acme/infra", CancellationToken.None)).ShouldBeEmpty();
        (await store.AcquireAsync(Network, Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();

        // #8 takes another project: its comment's damaged locks give way to the new one, the plan section stays
        var other = Network with { Dir = "envs/prod/app" };
        (await store.AcquireAsync(other, Pr(8), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        var meta = PlanCommentMeta.Read(_github.CommentsOn(8).Single().Body)!;
        meta.ShouldStartWith("{\"plan\":{\"head\":\"def\"},\"locks\":[{\"dir\":\"envs/prod/app\"");
        (await store.ListAsync("acme/infra", CancellationToken.None)).Select(l => (l.Owner.PullRequest, l.Key.Dir)).ShouldBe([(8, "envs/prod/app"), (7, "envs/prod/network")]);
    }

    [Fact]
    public async Task A_runs_projects_taking_their_locks_at_once_all_land_in_the_comment_from_one_read_of_the_open_prs()
    {
        var store = CreateStore();
        var owner = new LockOwner("acme/infra", 7, "abc", "alice", "r");
        var dirs = Enumerable.Range(1, 6).Select(i => $"envs/prod/p{i}").ToArray();
        _github.Calls.Clear();
        var results = await Task.WhenAll(dirs.Select(dir => store.AcquireAsync(new LockKey(LockKind.Project, "acme/infra", dir, "default"), owner, TimeSpan.FromDays(7), CancellationToken.None)));

        results.ShouldAllBe(r => r is LockResult.Acquired);
        (await store.ListAsync("acme/infra", CancellationToken.None)).Select(l => l.Key.Dir).Order(StringComparer.Ordinal).ShouldBe(dirs);
        _github.Calls.Count(c => c.StartsWith("GET /repos/acme/infra/pulls?", StringComparison.Ordinal)).ShouldBe(2, "one shared read for the six acquisitions, one for the list");
    }
}
