using PlanBot.Core.Config;
using PlanBot.Core.Workflows;

namespace PlanBot.Core.Tests.Config;

/// <summary>
/// The server policy's merge rule, key by key: a repository's planbot.yaml (its base branch's) can
/// only tighten it. Each test loosens one key from the repository side and shows the server's value
/// stands, then tightens it and shows the repository's value is taken.
/// </summary>
public class ServerPolicyTests
{
    private static PlanBotConfig Repo(string yaml) => ConfigLoader.Parse("planbot.yaml", yaml);

    private static ServerPolicy Server(string yaml) => ServerPolicy.Parse("/etc/planbot/policy.yaml", yaml);

    [Fact]
    public void Destructive_approval_cannot_be_turned_off_and_foundational_lists_are_the_union()
    {
        var server = Server("approval: { destructive: true, foundational_paths: [\"prod/**\"], foundational_types: [\"aws_iam_*\"] }\n");
        var merged = server.Tighten(Repo("approval: { destructive: false, foundational_paths: [\"shared/**\"] }\n"));
        merged.Approval.Destructive.ShouldBeTrue();
        merged.Approval.FoundationalPaths.Select(g => g.Pattern).ShouldBe(["prod/**", "shared/**"]);
        merged.Approval.FoundationalTypes.Select(g => g.Pattern).ShouldBe(["aws_iam_*"]);

        // a server that does not require destructive approval still lets a repository require it
        Server("approval: { destructive: false }\n").Tighten(Repo("approval: { destructive: true }\n")).Approval.Destructive.ShouldBeTrue();
    }

    [Fact]
    public void Roles_take_the_stricter_side_and_the_number_of_approvals_the_larger()
    {
        var server = Server("approval: { approvers: { min_permission: maintain }, required: 2 }\ncommands: { plan: { min_permission: triage }, unlock: { min_permission: maintain } }\n");
        var loosened = server.Tighten(Repo("approval: { approvers: { min_permission: write }, required: 1 }\ncommands: { plan: { min_permission: read }, unlock: { min_permission: write } }\n"));
        loosened.Approval.MinPermission.ShouldBe("maintain");
        loosened.Approval.Required.ShouldBe(2);
        loosened.Commands.Plan.ShouldBe("triage");
        loosened.Commands.Unlock.ShouldBe("maintain");

        var tightened = server.Tighten(Repo("approval: { approvers: { min_permission: admin }, required: 3 }\ncommands: { plan: { min_permission: write } }\n"));
        tightened.Approval.MinPermission.ShouldBe("admin");
        tightened.Approval.Required.ShouldBe(3);
        tightened.Commands.Plan.ShouldBe("write");
    }

    [Fact]
    public void Apply_role_below_the_approvers_cannot_be_set_by_a_repository()
    {
        var none = Server("approval: { approvers: { min_permission: maintain } }\n");
        none.Tighten(Repo("commands: { apply: { min_permission: write } }\n")).Commands.Apply.ShouldBeNull("write would let more people apply than approve");
        none.Tighten(Repo("commands: { apply: { min_permission: admin } }\n")).Commands.Apply.ShouldBe("admin");
        Server("commands: { apply: { min_permission: maintain } }\n").Tighten(Repo("commands: { apply: { min_permission: write } }\n")).Commands.Apply.ShouldBe("maintain");
    }

    [Fact]
    public void Self_approval_forks_and_drafts_need_both_sides_to_allow_them()
    {
        var strict = Server("approval: { required: 1 }\n"); // writes neither: its defaults (off) still bind
        var merged = strict.Tighten(Repo("approval: { allow_self_approval: true }\npull_requests: { plan_forks: true, plan_drafts: true }\n"));
        merged.Approval.AllowSelfApproval.ShouldBeFalse();
        merged.PullRequests.PlanForks.ShouldBeFalse();
        merged.PullRequests.PlanDrafts.ShouldBeTrue("drafts are the repository's call unless the server policy writes plan_drafts");

        var open = Server("approval: { allow_self_approval: true }\npull_requests: { plan_forks: true, plan_drafts: false }\n");
        open.Tighten(Repo("pull_requests: { plan_forks: true, plan_drafts: true }\n")).PullRequests.ShouldBe(new PullRequestSettings { PlanForks = true, PlanDrafts = false });
        open.Tighten(Repo("approval: { allow_self_approval: true }\n")).Approval.AllowSelfApproval.ShouldBeTrue();
        open.Tighten(Repo("")).Approval.AllowSelfApproval.ShouldBeFalse("the repository did not ask for it");
    }

    [Fact]
    public void Approver_lists_can_only_be_narrowed()
    {
        var server = Server("approval: { approvers: { users: [carol, dave], teams: [acme/platform] } }\n");
        var merged = server.Tighten(Repo("approval: { approvers: { users: [carol, mallory], teams: [acme/everyone] } }\n"));
        merged.Approval.Users.ShouldBe(["carol"]);
        merged.Approval.Teams.ShouldBeEmpty();
        server.Tighten(Repo("")).Approval.Users.ShouldBe(["carol", "dave"]);
        Server("apply: { mode: on_merge }\n").Tighten(Repo("approval: { approvers: { users: [mallory] } }\n")).Approval.Users.ShouldBeEmpty("a repository adds no approver the server does not list");
    }

    [Fact]
    public void Apply_mode_locks_plans_and_the_binary_are_the_servers_when_it_writes_them()
    {
        var server = Server("apply: { mode: on_merge }\nlocks: { backend: dynamodb, dynamodb: { table: planbot } }\nplans: { store: s3, s3: { bucket: plans } }\nterraform: { binary: tofu, timeout: 10m }\n");
        var merged = server.Tighten(Repo("apply: { mode: comment }\nlocks: { backend: local }\nplans: { store: local }\nterraform: { binary: /tmp/evil, timeout: 2h, lock_timeout: 5s }\n"));
        merged.ApplyMode.ShouldBe(ApplyMode.OnMerge);
        (merged.LocksBackend, merged.LocksBackendChosen, merged.Backends["locks.dynamodb"]["table"]).ShouldBe(("dynamodb", true, "planbot"));
        (merged.PlansStore, merged.Backends["plans.s3"]["bucket"]).ShouldBe(("s3", "plans"));
        merged.Terraform.Binary.ShouldBe("tofu");
        merged.Terraform.StepTimeout.ShouldBe(TimeSpan.FromMinutes(10));
        merged.Terraform.LockTimeout.ShouldBe(TimeSpan.FromSeconds(5), "the server does not write lock_timeout");

        var silent = Server("approval: { required: 1 }\n").Tighten(Repo("apply: { mode: comment }\nlocks: { backend: azure, azure: { account: a, container: c } }\nterraform: { timeout: 5m }\n"));
        (silent.ApplyMode, silent.LocksBackend, silent.Terraform.StepTimeout).ShouldBe((ApplyMode.Comment, "azure", TimeSpan.FromMinutes(5)));
        Server("terraform: { timeout: 1h }\n").Tighten(Repo("terraform: { timeout: 5m }\n")).Terraform.StepTimeout.ShouldBe(TimeSpan.FromMinutes(5), "a shorter timeout is the repository's to choose");
    }

    [Fact]
    public void Version_and_mirror_are_the_servers_when_it_writes_them_and_a_server_policy_cannot_define_workflows()
    {
        var server = Server("terraform: { version: 1.9.8, mirror: \"https://mirror.corp.example/hashicorp\" }\n");
        var merged = server.Tighten(Repo("terraform: { version: 1.5.0, mirror: \"https://evil.example\" }\n"));
        (merged.Terraform.Run.Version, merged.Terraform.Mirror).ShouldBe(("1.9.8", "https://mirror.corp.example/hashicorp"));
        var silent = Server("approval: { required: 1 }\n").Tighten(Repo("terraform: { version: 1.5.0, mirror: \"https://mirror.repo.example\" }\n"));
        (silent.Terraform.Run.Version, silent.Terraform.Mirror).ShouldBe(("1.5.0", "https://mirror.repo.example"), "a server that says nothing leaves them to the repository's default branch");

        var error = Should.Throw<ConfigException>(() => Server("approval: { required: 1 }\nworkflows:\n  default: { plan: [init, plan] }\n")).Errors.Single();
        error.ToString().ShouldStartWith("/etc/planbot/policy.yaml:3:3: 'workflows' cannot be set by a server policy");
    }

    [Fact]
    public void Masks_are_the_union_and_runner_variables_need_the_servers_leave()
    {
        var server = Server("comments: { mask: [\"corp-secret-\"] }\nterraform: { env: { GITHUB_TOKEN: { from: PLANBOT_PROVIDER_TOKEN }, CORP_ENVIRONMENT: \"1\" } }\n");
        var merged = server.Tighten(Repo("comments: { mask: [\"repo-\"] }\nterraform: { env: { GH: { from: PLANBOT_PROVIDER_TOKEN }, CORP_ENVIRONMENT: \"0\" } }\n"));
        merged.Comments.Mask.ShouldBe(["repo-", "corp-secret-"]);
        merged.Terraform.Run.Env.ShouldBe([new EnvSetting("GH", "PLANBOT_PROVIDER_TOKEN", true), new EnvSetting("GITHUB_TOKEN", "PLANBOT_PROVIDER_TOKEN", true), new EnvSetting("CORP_ENVIRONMENT", "1", false)]);

        var error = Should.Throw<ConfigException>(() => server.Tighten(Repo("projects:\n  - dir: app\n    terraform: { env: { AWS_SECRET_ACCESS_KEY: { from: AWS_SECRET_ACCESS_KEY } } }\n")));
        error.Message.ShouldBe("planbot.yaml: projects[app].terraform.env 'AWS_SECRET_ACCESS_KEY' reads the runner's AWS_SECRET_ACCESS_KEY (from:), which the server policy /etc/planbot/policy.yaml does not allow: remove it, or ask the operator to add 'AWS_SECRET_ACCESS_KEY: { from: AWS_SECRET_ACCESS_KEY }' under the server policy's terraform.env");
        Should.Throw<ConfigException>(() => Server("approval: { required: 1 }\n").Tighten(Repo("terraform: { env: { T: { from: GITHUB_TOKEN } } }\n")));
    }

    [Fact]
    public void A_policy_file_with_layout_keys_or_bad_values_names_file_and_line()
    {
        var error = Should.Throw<ConfigException>(() => Server("approval: { destructive: true }\nprojects:\n  - { dir: app }\nparallelism: 8\n"));
        error.Errors.Select(e => e.ToString()).ShouldBe([
            "/etc/planbot/policy.yaml:3:5: 'projects' is not a policy key: a server policy takes only policy keys (allowed_repositories, approval, apply, commands, locks, plans, pull_requests, comments.mask, terraform binary/timeout/lock_timeout/env/extra_args/version/mirror): remove it",
            "/etc/planbot/policy.yaml:4:14: 'parallelism' is not a policy key: a server policy takes only policy keys (allowed_repositories, approval, apply, commands, locks, plans, pull_requests, comments.mask, terraform binary/timeout/lock_timeout/env/extra_args/version/mirror): remove it",
        ]);
        Should.Throw<ConfigException>(() => Server("approval: { approvers: { min_permission: owner } }\n")).Errors.Single().Line.ShouldBe(1);
        using var dir = new PlanBot.Testing.TempDir("planbot-policy");
        Should.Throw<ConfigException>(() => ServerPolicy.Load(dir.Combine("missing.yaml"))).Message.ShouldContain("cannot read the server policy");
    }

    [Fact]
    public void Origins_say_which_side_each_effective_value_comes_from()
    {
        var server = Server("approval: { destructive: true, approvers: { min_permission: maintain }, foundational_paths: [\"prod/**\"] }\npull_requests: { plan_forks: false }\n");
        var repo = Repo("approval: { destructive: false, approvers: { min_permission: admin }, foundational_paths: [\"shared/**\"] }\napply: { mode: comment }\npull_requests: { plan_forks: true }\n");
        var origins = ServerPolicy.Origins(server, repo).ToDictionary(o => o.Key);
        origins["approval.destructive"].ShouldBe(new PolicyOrigin("approval.destructive", "true", PolicySource.ServerPolicy));
        origins["approval.approvers.min_permission"].ShouldBe(new PolicyOrigin("approval.approvers.min_permission", "admin", PolicySource.Repository));
        origins["approval.foundational_paths"].ShouldBe(new PolicyOrigin("approval.foundational_paths", "[prod/**, shared/**]", PolicySource.Both));
        origins["apply.mode"].Source.ShouldBe(PolicySource.Repository);
        origins["pull_requests.plan_forks"].ShouldBe(new PolicyOrigin("pull_requests.plan_forks", "false", PolicySource.ServerPolicy));
        origins["approval.required"].Source.ShouldBe(PolicySource.Default);

        var alone = ServerPolicy.Origins(null, repo).ToDictionary(o => o.Key);
        alone["approval.destructive"].ShouldBe(new PolicyOrigin("approval.destructive", "false", PolicySource.Repository));
        alone["locks"].Source.ShouldBe(PolicySource.Default);
    }

    [Fact]
    public async Task The_loader_tightens_the_trusted_base_but_reports_only_what_the_head_changes()
    {
        using var dir = new PlanBot.Testing.TempDir("planbot-trusted-server");
        await File.WriteAllTextAsync(dir.Combine("planbot.yaml"), "approval: { destructive: false }\n");
        var git = new TrustedPolicyTests.BaseFiles(new() { ["base1:planbot.yaml"] = "approval: { destructive: false }\n" });
        var server = Server("approval: { destructive: true }\n");

        var run = await RunConfigLoader.LoadForPullRequestAsync(git, dir.Path, "base1", null, server, CancellationToken.None);

        run.Config.Approval.Destructive.ShouldBeTrue();
        run.Config.PolicyChanges.ShouldBeEmpty("the head's file equals the base's: the server's tightening is no change of the PR's");
        RunConfigLoader.Load(dir.Path, null, server).Config.Approval.Destructive.ShouldBeTrue();
        RunConfigLoader.Defaults("", Server("approval: { required: 2 }\n")).Config.Approval.Required.ShouldBe(2);
    }
}
