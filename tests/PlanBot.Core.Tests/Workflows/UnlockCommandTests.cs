using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>`/planbot unlock` releases the commenting PR's project locks, and nobody else's.</summary>
public sealed class UnlockCommandTests : IDisposable
{
    private readonly TempDir _dir = new("planbot-unlock");
    private readonly InMemoryVcs _github = new();

    public UnlockCommandTests()
    {
        _github.Permissions["alice"] = ("write", "write"); // `/planbot unlock` needs write (commands.unlock.min_permission)
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Unlock_releases_this_prs_project_locks_only_and_says_which()
    {
        var locks = new InMemoryLockStore();
        LockKey Key(string dir) => new(LockKind.Project, "acme/infra", dir, "default");
        var mine = new LockOwner("acme/infra", 5, "h", "alice", "r1");
        await locks.AcquireAsync(Key("network"), mine, TimeSpan.FromDays(7), CancellationToken.None);
        await locks.AcquireAsync(Key("app"), mine, TimeSpan.FromDays(7), CancellationToken.None);
        await locks.AcquireAsync(Key("dns"), new LockOwner("acme/infra", 6, "h", "bob", "r2"), TimeSpan.FromDays(7), CancellationToken.None);
        var records = new Core.Policy.ApprovalRecords(locks);
        await records.SaveAsync(mine, await records.ReadAsync("acme/infra", 5, null, CancellationToken.None),
            new Core.Policy.ApprovalState(new Core.Policy.PlanMeta("h", 1, new() { ["network"] = "fp" }, ["network"]), [new Core.Policy.ApprovalEntry(1, "carol", "h", new() { ["network"] = "fp" })]),
            [new Core.Discovery.Project { Name = "network", Dir = "network" }], CancellationToken.None);

        var vcs = _github;
        var comment = _github.AddComment(5, "/planbot unlock", "alice");
        var context = new PullRequestContext { Repo = "acme/infra", PullRequest = new PullRequestInfo { Number = 5, HeadSha = "h", BaseSha = "b", Author = "alice" }, RepoDir = _dir.Path, RunId = "r3" };
        await Commands(vcs, locks, new FakeCheckout(_dir.Path)).RunAsync(context, new IssueComment(comment.Id, comment.Body, "alice", comment.Created, comment.Updated), PlanBotConfig.Default, new CommentOptions(), CancellationToken.None);

        (await locks.ListAsync("acme/infra", CancellationToken.None)).Select(l => (l.Key.Dir, l.Owner.PullRequest)).ShouldBe([("dns", 6)]);
        _github.CommentsOn(5).Last().Body.ShouldStartWith("@alice released `app`, `network`.");
        _github.CommentsOn(5).Last().Body.ShouldEndWith("The approvals kept with those locks went with them: approve again after the next plan.");
        _github.Reactions.Select(r => r.Content).ShouldBe(["eyes", "+1"]);
    }

    [Fact]
    public async Task Unlock_p_takes_project_names_and_answers_an_unknown_name_with_the_projects()
    {
        var locks = new InMemoryLockStore();
        var mine = new LockOwner("acme/infra", 5, "h", "alice", "r1");
        LockKey Key(string dir, string workspace = "default") => new(LockKind.Project, "acme/infra", dir, workspace);
        await locks.AcquireAsync(Key("envs/prod/network"), mine, TimeSpan.FromDays(7), CancellationToken.None);
        await locks.AcquireAsync(Key("envs/prod/network", "blue"), mine, TimeSpan.FromDays(7), CancellationToken.None);
        await locks.AcquireAsync(Key("envs/prod/app"), mine, TimeSpan.FromDays(7), CancellationToken.None);
        var config = ConfigLoader.Parse("planbot.yaml", """
            projects:
              - { name: network, dir: envs/prod/network }
              - { name: network-blue, dir: envs/prod/network, workspace: blue }
              - { name: app, dir: envs/prod/app }
            """);
        var tree = new Dictionary<string, string> { ["envs/prod/network/main.tf"] = "", ["envs/prod/app/main.tf"] = "" };
        var vcs = _github;
        var commands = Commands(vcs, locks, new FakeCheckout(_dir.Path, tree));
        var context = new PullRequestContext { Repo = "acme/infra", PullRequest = new PullRequestInfo { Number = 5, HeadSha = "h", BaseSha = "b", Author = "alice" }, RepoDir = _dir.Path, RunId = "r3" };
        async Task SayAsync(string body)
        {
            var comment = _github.AddComment(5, body, "alice");
            await commands.RunAsync(context, new IssueComment(comment.Id, comment.Body, "alice", comment.Created, comment.Updated), config, new CommentOptions(), CancellationToken.None);
        }

        await SayAsync("/planbot unlock -p nope");
        _github.CommentsOn(5).Last().Body.ShouldBe("@alice not a project here: `nope`. Projects: `app`, `network`, `network-blue`.");
        (await locks.ListAsync("acme/infra", CancellationToken.None)).Count.ShouldBe(3, "nothing is released on a typo");

        await SayAsync("/planbot unlock -p network-blue");
        (await locks.ListAsync("acme/infra", CancellationToken.None)).Select(l => l.Key.Workspace + ":" + l.Key.Dir).Order().ShouldBe(["default:envs/prod/app", "default:envs/prod/network"]);

        await SayAsync("/planbot unlock -p envs/prod/app");
        (await locks.ListAsync("acme/infra", CancellationToken.None)).Single().Key.Dir.ShouldBe("envs/prod/network", "a dir still names a lock whose project is gone");
        _github.Reactions.Select(r => r.Content).ShouldBe(["eyes", "-1", "eyes", "+1", "eyes", "+1"]);
    }

    /// <summary>A command workflow that must not plan, apply or look at git: unlock needs none of them.</summary>
    private static CommandWorkflow Commands(IVcs vcs, ILockStore locks, FakeCheckout checkout)
    {
        var noPlanning = new NoPlanning("unlock must not plan");
        var apply = new ApplyWorkflow(new FakeTerraform());
        var pullRequests = new PullRequestWorkflow(vcs, noPlanning, locks, (IApprovalStore)locks, TimeProvider.System);
        var merges = new MergeWorkflow(vcs, noPlanning, apply, locks, (IApprovalStore)locks, TimeProvider.System);
        return new CommandWorkflow(vcs, pullRequests, merges, apply, locks, (IApprovalStore)locks, checkout, new Terraform.Git.GitCli());
    }
}
