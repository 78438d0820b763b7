using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Runs;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Files;
using PlanBot.Terraform.Git;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Terraform.Tests;

/// <summary>planbot.yaml workflows with real terraform and real run steps (issue 17 item 2).</summary>
public class WorkflowStepTests
{
    private const string Check = """
        #!/bin/sh
        echo "workspace=$WORKSPACE project=$PROJECT_NAME rel=$REPO_REL_DIR step=$STEP_VALUE runner=$FROM_RUNNER"
        echo "planfile=$(basename "$PLANFILE")"
        if [ -f "$SHOWFILE" ] && grep -q '"format_version"' "$SHOWFILE"; then echo "plan json readable"; fi
        env | grep -c "^$1=" || true
        echo "db password hunter2-SECRET"
        exit "${2:-0}"
        """;

    private static async Task<Scenario> ScenarioAsync(string yaml)
    {
        var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["planbot.yaml"] = yaml,
            ["app/main.tf"] = LocalBackend + Resource("a", "one"),
            ["checks/check.sh"] = Check.Replace("\r", "", StringComparison.Ordinal) + "\n",
        });
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(scenario.Repo.Root, "checks/check.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await scenario.Repo.GitAsync("add", "-A");
        await scenario.Repo.GitAsync("commit", "-q", "-m", "executable check");
        return scenario;
    }

    private static string Comment(RunReport report, PlanBotConfig config) =>
        string.Concat(MarkdownComment.Render(report, CommentOptions.ForComment(config.Comments)));

    [Fact]
    public async Task Run_steps_get_the_projects_environment_without_planbots_credentials_and_their_output_is_collapsed_and_masked()
    {
        var unique = $"PLANBOT_TEST_{Guid.NewGuid().ToString("N")[..8].ToUpperInvariant()}_TOKEN";
        // the runner's environment as PlanBotSettings snapshots it, with one PlanBot-looking credential in it
        var runner = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        runner[unique] = "planbot-credential";
        var terraform = new TerraformCli(new TerraformOptions { LockTimeout = TimeSpan.FromSeconds(2), Runner = runner });
        using var scenario = await ScenarioAsync($$"""
            comments: { mask: ["hunter2-[A-Z]+"] }
            workflows:
              default:
                plan:
                  - init
                  - { run: [../checks/check.sh, {{unique}}], name: before }
                  - plan
                  - { run: [../checks/check.sh, {{unique}}], name: after, env: { STEP_VALUE: from-step, FROM_RUNNER: { from: {{unique}} } } }
            """);
        var report = await scenario.PlanChangeAsync(new Dictionary<string, string?> { ["app/main.tf"] = LocalBackend + Resource("a", "two") }, terraform: terraform);

        var app = report.Projects.Single();
        app.Status.ShouldBe(ProjectStatus.Planned, app.Error);
        app.Steps.Select(s => (s.Title, s.Ok)).ShouldBe([("run before", true), ("run after", true)]);
        app.Steps[0].Output.ShouldNotContain("plan json readable"); // SHOWFILE exists only after the plan step
        // the trusted workflow may hand a runner variable over on purpose ('from'); nothing else of PlanBot's passes
        app.Steps[1].Output.ShouldContain("workspace=default project=app rel=app step=from-step runner=planbot-credential\n");
        app.Steps[0].Output.ShouldContain("step= runner=\n");
        app.Steps[1].Output.ShouldContain("planfile=plan.tfplan");
        app.Steps[1].Output.ShouldContain("plan json readable");
        app.Steps[1].Output.ShouldContain("\n0\n"); // env shows no PlanBot credential

        var comment = Comment(report, RunConfigLoader.Load(scenario.Repo.Root).Config);
        comment.ShouldContain("Workflow: `default`");
        comment.ShouldContain("<details><summary>run after: passed</summary>");
        comment.ShouldContain("plan json readable");
        comment.ShouldNotContain("hunter2-SECRET");
    }

    [Fact]
    public async Task A_failing_or_timed_out_run_step_fails_the_project_naming_the_step_and_later_steps_do_not_run()
    {
        using var scenario = await ScenarioAsync("""
            workflows:
              strict:
                plan:
                  - init
                  - plan
                  - { run: [../checks/check.sh, NONE, "3"], name: policy }
                  - { run: [touch, never-created] }
              slow:
                plan: [init, { run: [sh, -c, "sleep 30 & sleep 30"], timeout: 1s, name: hangs }, plan]
            projects:
              - { dir: app, workflow: strict }
              - { dir: other, workflow: slow }
            """);
        var report = await scenario.PlanChangeAsync(new Dictionary<string, string?>
        {
            ["app/main.tf"] = LocalBackend + Resource("a", "two"),
            ["other/main.tf"] = LocalBackend + Resource("b", "one"),
        });

        var app = report.Projects.Single(p => p.Project.Name == "app");
        app.Status.ShouldBe(ProjectStatus.Failed);
        app.Error.ShouldBe("workflow 'strict' step run policy (planbot.yaml line 6) failed: run policy exited with code 3");
        app.Plan.ShouldBeNull(); // a failed check blocks the plan from being approved or applied
        app.Steps.Select(s => s.Title).ShouldBe(["run policy"]);
        File.Exists(Path.Combine(scenario.Repo.Root, "app", "never-created")).ShouldBeFalse();

        var other = report.Projects.Single(p => p.Project.Name == "other");
        other.Status.ShouldBe(ProjectStatus.Failed);
        other.Error.ShouldStartWith("workflow 'slow' step run hangs (planbot.yaml line 9) failed: run hangs hit its 00:00:01 timeout and was killed with every process it started");
        other.Duration.ShouldBeLessThan(TimeSpan.FromSeconds(25));

        var comment = Comment(report, PlanBotConfig.Default);
        comment.ShouldContain("<details open><summary>run policy: failed (exit code 3)</summary>");
        comment.ShouldContain("<details open><summary>run hangs: timed out</summary>");
    }

    [Fact]
    public async Task A_pull_request_that_adds_a_workflow_gets_none_of_its_steps_run_and_the_change_is_reported()
    {
        using var scenario = await ScenarioAsync("projects:\n  - { dir: app }\n");
        var marker = Path.Combine(scenario.DataDir, "ran");
        await scenario.Repo.GitAsync("checkout", "-q", "-b", "change");
        scenario.Repo.Write("planbot.yaml", $$"""
            workflows:
              default: { plan: [init, { run: [touch, {{marker}}] }, plan] }
            projects:
              - { dir: app }
            """);
        scenario.Repo.Write("app/main.tf", LocalBackend + Resource("a", "two"));
        var head = await scenario.Repo.CommitAsync("adds a workflow");
        var git = new GitCli();
        var baseSha = await git.ResolveAsync(scenario.Repo.Root, "main", CancellationToken.None);

        async Task<RunReport> PlanAsync(RunConfig run) => await new PlanWorkflow(_ => Scenario.Terraform, git).RunAsync(new PlanRequest
        {
            Tree = new DiskFileTree(scenario.Repo.Root),
            RepoDir = scenario.Repo.Root,
            BaseSha = baseSha,
            HeadSha = head,
            Config = run.Config,
            ArtifactsDir = Path.Combine(scenario.DataDir, "runs", Guid.NewGuid().ToString("N")),
        }, CancellationToken.None);

        var trusted = await RunConfigLoader.LoadForPullRequestAsync(git, scenario.Repo.Root, baseSha, null, CancellationToken.None);
        trusted.Config.PolicyChanges.ShouldBe(["workflows"]);
        var report = await PlanAsync(trusted);
        report.Projects.Single().Status.ShouldBe(ProjectStatus.Planned);
        report.Projects.Single().Steps.ShouldBeEmpty();
        File.Exists(marker).ShouldBeFalse();

        // the control: once merged (the head is trusted) the step runs
        (await PlanAsync(RunConfigLoader.Load(scenario.Repo.Root))).Projects.Single().Steps.Single().Ok.ShouldBeTrue();
        File.Exists(marker).ShouldBeTrue();
    }

    [Fact]
    public async Task Apply_steps_run_around_terraform_apply_and_a_failing_one_names_itself()
    {
        using var scenario = await ScenarioAsync("""
            workflows:
              default:
                apply:
                  - { run: [../checks/check.sh, NONE], name: pre }
                  - apply
                  - { run: [test, -f, terraform.tfstate], name: state-written }
                  - { run: [false], name: notify }
            """);
        var report = await scenario.PlanChangeAsync(new Dictionary<string, string?> { ["app/main.tf"] = LocalBackend + Resource("a", "two") });
        var planned = report.Projects.Single();
        planned.Status.ShouldBe(ProjectStatus.Planned, planned.Error);

        var results = await new ApplyWorkflow(Scenario.Terraform).RunAsync(report, scenario.Repo.Root, new Dictionary<string, string?> { ["app"] = planned.Plan!.Fingerprint }, 1, CancellationToken.None);

        var app = results.Single();
        app.Status.ShouldBe(ApplyStatus.Failed);
        app.Detail.ShouldBe("workflow 'default' step run notify (planbot.yaml line 7) failed: run notify exited with code 1; terraform apply had succeeded before it");
        File.Exists(Path.Combine(scenario.Repo.Root, "app", "terraform.tfstate")).ShouldBeTrue();
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(planned.PlanFile)!, "apply-step1.log")).ShouldContain("planfile=plan.tfplan");
    }
}
