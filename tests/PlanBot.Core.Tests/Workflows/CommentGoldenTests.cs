using Microsoft.Extensions.Time.Testing;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Runs;
using PlanBot.Core.Workflows;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>
/// One golden file per kind of text PlanBot posts (tests/fixtures/golden/comments, see its README):
/// what the workflows write to the in-memory code host, hidden metadata included, over a fixed clock
/// and fixed SHAs, so a reviewer reads the format there. Regenerate with PLANBOT_UPDATE_GOLDEN=1.
/// </summary>
public sealed class CommentGoldenTests : IDisposable
{
    private const string Repo = "acme/infra";
    private const string Head = "0123456789abcdef0123456789abcdef01234567";
    private const string Base = "fedcba9876543210fedcba9876543210fedcba98";
    private readonly TempDir _dir = new("planbot-golden");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryVcs _vcs;
    private readonly InMemoryLockStore _locks;

    public CommentGoldenTests()
    {
        _vcs = new InMemoryVcs(_clock);
        _locks = new InMemoryLockStore(_clock);
        _vcs.AddPull(7, Head, Base, author: "alice");
        _vcs.Permissions["alice"] = ("write", "write");
        _vcs.Permissions["carol"] = ("write", "maintain");
        _vcs.Permissions["reader"] = ("read", "read");
    }

    public void Dispose() => _dir.Dispose();

    private static ProjectResult Network(string json, bool approval) => new()
    {
        Project = new Project { Name = "network", Dir = "envs/prod/network" },
        Status = ProjectStatus.Planned,
        Plan = PlanReader.ReadDetailed(System.Text.Encoding.UTF8.GetBytes(json), "plan.json", []),
        Approval = approval ? new ApprovalRequirement(true, ["deletes or replaces resources"]) : ApprovalRequirement.NotRequired,
        Reasons = ["envs/prod/network/main.tf changed"],
    };

    private static ProjectResult App(ProjectStatus status = ProjectStatus.NoChanges, string? error = null) => new()
    {
        Project = new Project { Name = "app", Dir = "envs/prod/app" },
        Status = status,
        Plan = status == ProjectStatus.NoChanges ? PlanReader.ReadDetailed(System.Text.Encoding.UTF8.GetBytes(FakeTerraform.EmptyPlan), "plan.json", []) : null,
        Error = error,
        Reasons = ["envs/prod/app/main.tf changed"],
    };

    private static readonly string Changes = FakeTerraform.PlanWith(("aws_vpc.main", "update"), ("aws_subnet.a", "create"), ("aws_nat_gateway.old", "delete"));

    private static RunReport Report(params ProjectResult[] projects) => new()
    {
        Head = Head,
        Base = Base,
        Levels = [["network"], ["app"]],
        Projects = projects,
        Dependencies = new Dictionary<string, IReadOnlyList<string>> { ["app"] = ["network"], ["network"] = [] },
    };

    private PullRequestWorkflow PullRequests(RunReport report) => new(_vcs, new Canned(report), _locks, _locks, _clock);

    private PullRequestContext Context => new() { Repo = Repo, PullRequest = _vcs.Pulls[7], RepoDir = _dir.Path, RunId = "run-1" };

    /// <summary>PlanBot's comments on the PR, in order, parts separated as they are posted.</summary>
    private string Posted() => string.Join("\n<!-- ───── next comment ───── -->\n", _vcs.CommentsOn(7).Where(c => c.User == InMemoryVcs.BotLogin).Select(c => c.Body));

    private async Task<string> PlanCommentAsync(RunReport report)
    {
        await PullRequests(report).RunAsync(Context, PlanBotConfig.Default, new CommentOptions(), CancellationToken.None);
        return Posted();
    }

    [Fact]
    public async Task Plan()
    {
        // after the merge, app (in this PR) and db (not) read network: the comment says they are re-planned once network applies
        var afterMerge = new AfterMerge([new("network", "app", "terraform_remote_state.network", true), new("network", "envs/prod/db", "depends_on", false)], ApplyDependents: false);
        Golden.ShouldMatch(await PlanCommentAsync(Report(Network(Changes, approval: true), App()) with { AfterMerge = afterMerge }), "tests", "fixtures", "golden", "comments", "plan.md");
    }

    [Fact]
    public async Task Locked()
    {
        var other = new LockOwner(Repo, 3, "cafe", "bob", "run-0");
        await _locks.AcquireAsync(new LockKey(LockKind.Project, Repo, "envs/prod/network", "default"), other, TimeSpan.FromDays(7), CancellationToken.None);
        var network = new ProjectResult
        {
            Project = new Project { Name = "network", Dir = "envs/prod/network" },
            Status = ProjectStatus.Locked,
            Error = $"locked by #3 (@bob, since {_clock.GetUtcNow():u}); this PR plans it once #3 is merged and applied, closed, or unlocked there with `/planbot unlock`",
        };
        Golden.ShouldMatch(await PlanCommentAsync(Report(network, App())), "tests", "fixtures", "golden", "comments", "locked.md");
    }

    [Fact]
    public async Task Failed()
    {
        var network = new ProjectResult
        {
            Project = new Project { Name = "network", Dir = "envs/prod/network" },
            Status = ProjectStatus.Failed,
            Error = "Error: Reference to undeclared input variable",
            Diagnostics = "Error: Reference to undeclared input variable\n\n  on main.tf line 4, in resource \"aws_vpc\" \"main\":\n   4:   cidr_block = var.cidr\n\nAn input variable with the name \"cidr\" has not been declared.",
        };
        var report = Report(network, App(ProjectStatus.Skipped, "skipped: network failed"));
        Golden.ShouldMatch(await PlanCommentAsync(report), "tests", "fixtures", "golden", "comments", "failed.md");
    }

    [Fact]
    public async Task Drift_issue()
    {
        var run = Report(Network(FakeTerraform.PlanWith(("aws_vpc.main", "update")), approval: false) with { Reasons = [] }, App() with { Reasons = [] });
        var action = await new DriftIssueWorkflow(_vcs).SyncAsync(Repo, DriftReport.From(run, _clock.GetUtcNow()), null, new CommentOptions(), CancellationToken.None);
        action.ShouldBe(DriftIssueAction.Created);
        var issue = _vcs.Issues.Values.Single();
        Golden.ShouldMatch($"# {issue.Title}\n\nlabels: {string.Join(", ", issue.Labels)}\n\n{issue.Body}", "tests", "fixtures", "golden", "comments", "drift-issue.md");
    }

    [Theory]
    [InlineData("help", "alice", "/planbot help")]
    [InlineData("unknown-command", "alice", "/planbot destroy everything")]
    [InlineData("role-refused", "reader", "/planbot unlock")]
    [InlineData("approve-refused", "alice", "/planbot approve")]
    public async Task Command_reply(string kind, string author, string body)
    {
        await PlanCommentAsync(Report(Network(Changes, approval: true), App()));
        var reply = await SayAsync(author, body);
        Golden.ShouldMatch(reply, "tests", "fixtures", "golden", "comments", $"reply-{kind}.md");
    }

    [Fact]
    public async Task Unlock_reply()
    {
        await PlanCommentAsync(Report(Network(Changes, approval: true), App()));
        var mine = new LockOwner(Repo, 7, Head, "alice", "run-1");
        await _locks.AcquireAsync(new LockKey(LockKind.Project, Repo, "envs/prod/network", "default"), mine, TimeSpan.FromDays(7), CancellationToken.None);
        await _locks.AcquireAsync(new LockKey(LockKind.Project, Repo, "envs/prod/app", "default"), mine, TimeSpan.FromDays(7), CancellationToken.None);
        Golden.ShouldMatch(await SayAsync("alice", "/planbot unlock"), "tests", "fixtures", "golden", "comments", "reply-unlock.md");
    }

    [Fact]
    public async Task Approve_accepted_updates_the_plan_comment()
    {
        var report = Report(Network(Changes, approval: true), App());
        await PlanCommentAsync(report);
        var before = _vcs.CommentsOn(7).Count;
        _clock.Advance(TimeSpan.FromMinutes(5));
        await SayAsync("carol", "/planbot approve -- reviewed the NAT gateway removal", report);
        _vcs.CommentsOn(7).Count.ShouldBe(before + 1, "the approval is shown in the plan comment, not in a reply");
        _vcs.Reactions.Select(r => r.Content).ShouldBe(["eyes", "+1"]);
        Golden.ShouldMatch(Posted(), "tests", "fixtures", "golden", "comments", "approve-accepted.md");
    }

    /// <summary>Runs a command comment; returns PlanBot's reply (the comments it added), or "" when it added none.</summary>
    private async Task<string> SayAsync(string author, string body, RunReport? replan = null)
    {
        var comment = _vcs.AddComment(7, body, author);
        var known = _vcs.CommentsOn(7).Select(c => c.Id).ToHashSet();
        var noPlanning = new NoPlanning("this command must not plan");
        var pullRequests = replan is null ? new PullRequestWorkflow(_vcs, noPlanning, _locks, _locks, _clock) : PullRequests(replan);
        var apply = new ApplyWorkflow(new FakeTerraform());
        var merges = new MergeWorkflow(_vcs, noPlanning, apply, _locks, _locks, _clock);
        var files = new Dictionary<string, string> { ["envs/prod/network/main.tf"] = "", ["envs/prod/app/main.tf"] = "" };
        var commands = new CommandWorkflow(_vcs, pullRequests, merges, apply, _locks, _locks, new FakeCheckout(_dir.Path, files), new Terraform.Git.GitCli());
        await commands.RunAsync(Context, comment.ToIssueComment(), PlanBotConfig.Default, new CommentOptions(), CancellationToken.None);
        return string.Join("\n<!-- ───── next comment ───── -->\n", _vcs.CommentsOn(7).Where(c => !known.Contains(c.Id)).Select(c => c.Body));
    }

    /// <summary>A planner that returns the report it was given, taking the project locks of what it planned as the plan engine does (approvals are kept with them).</summary>
    private sealed class Canned(RunReport report) : IPlanRunner
    {
        public async Task<RunReport> PlanAsync(PlanTarget target, PlanBotConfig config, ILockStore? locks, CancellationToken cancellationToken)
        {
            foreach (var project in report.Projects.Where(p => p.Plan is not null))
            {
                await locks!.AcquireAsync(new LockKey(LockKind.Project, target.Owner!.Repo, project.Project.Dir, project.Project.Workspace), target.Owner, TimeSpan.FromDays(7), cancellationToken);
            }

            return report;
        }
    }
}
