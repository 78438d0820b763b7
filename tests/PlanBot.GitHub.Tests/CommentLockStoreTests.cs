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

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync();
        for (var pr = 1; pr <= 40; pr++)
        {
            _github.AddPull(pr, $"head{pr}", "base");
        }
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
