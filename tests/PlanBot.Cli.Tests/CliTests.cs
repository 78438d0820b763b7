using System.Text.Json;
using PlanBot.Cli;
using PlanBot.Core.Rendering;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>The command line as users meet it: exit codes, stdout/stderr, files written.</summary>
public class CliTests
{
    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(args);

    [Fact]
    public async Task The_demo_plans_the_bundled_example_with_every_kind_of_change_in_order()
    {
        using var dir = new TempDir();
        var json = dir.Combine("report.json");
        var comment = dir.Combine("comment.md");
        var (code, output, errors) = await Run("demo", "--example", Path.Combine(Fixtures.RepoRoot, "examples", "monorepo"), "--json-out", json, "--comment-out", comment);
        code.ShouldBe(0, errors);
        output.ShouldStartWith(MarkdownComment.Marker);
        output.ShouldBe(await File.ReadAllTextAsync(comment));
        errors.ShouldContain("demo: applying the base commit");

        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var levels = report.RootElement.GetProperty("levels").EnumerateArray().Select(l => l.EnumerateArray().Select(n => n.GetString()).ToArray()).ToArray();
        // production/network is untouched, so production/app (reached through modules/service) runs in level 1
        levels.ShouldBe([["environments/production/app", "environments/staging/network"], ["environments/staging/app"]]);
        int Total(string action) => report.RootElement.GetProperty("projects").EnumerateArray().Sum(p => p.GetProperty("changes").GetProperty(action).GetInt32());
        Total("create").ShouldBeGreaterThan(0);
        Total("update").ShouldBeGreaterThan(0);
        Total("delete").ShouldBeGreaterThan(0);
        Total("replace").ShouldBeGreaterThan(0);
        output.ShouldContain("`module.app.terraform_data.database` will be **replaced**");
        output.ShouldContain("`module.app.terraform_data.cache[0]` will be **destroyed**");
    }

    [Fact]
    public async Task Bad_configuration_exits_2_with_file_line_and_fix_and_no_stack_trace()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["a/main.tf"] = Resource("x", "y"), ["planbot.yaml"] = "version: 1\nparalelism: 2\n" });
        var (code, _, errors) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "HEAD");
        code.ShouldBe(2);
        errors.Trim().ShouldBe("planbot: planbot.yaml:2:1: unknown key 'paralelism' in the top level (did you mean 'parallelism'?); allowed keys: version, terraform, parallelism, discovery, projects, approval, apply, locks, plans, pull_requests, commands, comments, autoplan, workflows");
    }

    [Fact]
    public async Task A_dependency_cycle_exits_2_naming_every_project_in_it()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["a/main.tf"] = LocalBackend + ReadsStateOf("../b"),
            ["b/main.tf"] = LocalBackend + ReadsStateOf("../a"),
        });
        var (code, _, errors) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "HEAD");
        code.ShouldBe(2);
        errors.ShouldContain("dependency cycle: a → b → a");
    }

    [Fact]
    public async Task A_failed_project_exits_1_and_the_json_report_says_why()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["a/main.tf"] = LocalBackend + Resource("x", "y") });
        await scenario.Repo.GitAsync("checkout", "-q", "-b", "change");
        scenario.Repo.Write("a/main.tf", LocalBackend + "resource \"terraform_data\" \"x\" {\n  input = nope(\n}\n");
        await scenario.Repo.CommitAsync();
        var json = Path.Combine(scenario.DataDir, "r.json");
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", scenario.DataDir);
        var (code, output, _) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "main", "--json-out", json);
        code.ShouldBe(1);
        output.ShouldContain("❌ failed");
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var project = report.RootElement.GetProperty("projects")[0];
        project.GetProperty("status").GetString().ShouldBe("failed");
        project.GetProperty("error").GetString().ShouldNotBeNull().ShouldStartWith("Error:");
    }

    [Fact]
    public async Task A_head_that_is_not_checked_out_is_planned_in_a_worktree()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["a/main.tf"] = LocalBackend + Resource("x", "y") });
        await scenario.Repo.GitAsync("checkout", "-q", "-b", "change");
        scenario.Repo.Write("a/main.tf", LocalBackend + Resource("x", "z"));
        await scenario.Repo.CommitAsync();
        await scenario.Repo.GitAsync("checkout", "-q", "main");
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", scenario.DataDir);
        var (code, output, errors) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "main", "--head", "change");
        code.ShouldBe(0, errors);
        errors.ShouldContain("is not checked out; planning it in a worktree");
        output.ShouldContain("| `a` | `a` | default | 📝 planned | 1 | 0 | 0 | 0 |");
    }

    [Fact]
    public async Task Projects_lists_dirs_workspaces_and_levels_as_json()
    {
        var (code, output, errors) = await Run("projects", "--repo", Path.Combine(Fixtures.RepoRoot, "examples", "monorepo"), "--json");
        code.ShouldBe(0, errors);
        using var rows = JsonDocument.Parse(output);
        var app = rows.RootElement.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "environments/staging/app");
        app.GetProperty("level").GetInt32().ShouldBe(2);
        app.GetProperty("depends_on")[0].GetString().ShouldBe("environments/staging/network");
        app.GetProperty("modules")[0].GetString().ShouldBe("modules/service");
    }

    [FixtureFact]
    public async Task Render_prints_the_comment_for_a_plan_file_and_refuses_a_broken_one()
    {
        var (code, output, _) = await Run("render", "--plan-json", Fixtures.Path("plans", "jond3k-tfplan-validator", "delete-create.json"), "--project", "files");
        code.ShouldBe(0);
        output.ShouldContain("will be **replaced**");
        var (badCode, _, errors) = await Run("render", "--plan-json", Fixtures.Path("plans", "jond3k-tfplan-validator", "itest__unparseable.ARTIFICIAL.json"));
        badCode.ShouldBe(2);
        errors.Trim().Split('\n').Length.ShouldBe(1);
    }

    [FixtureFact]
    public async Task Render_writes_the_job_summary_to_summary_out_without_markers()
    {
        using var dir = new TempDir();
        var summary = dir.Combine("summary.md");
        var (code, output, errors) = await Run("render", "--plan-json", Fixtures.Path("plans", "opentofu", "show-json-sensitive.json"), "--summary-out", summary);
        code.ShouldBe(0, errors);
        output.ShouldStartWith(MarkdownComment.Marker);
        var text = await File.ReadAllTextAsync(summary);
        text.ShouldStartWith("### PlanBot plan for");
        text.ShouldContain("+ password = (sensitive)");
        text.ShouldNotContain("\"secret\"");
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("plan", "--no-such-flag")]
    [InlineData("render")]
    public async Task Unknown_commands_and_flags_exit_2_with_help(params string[] args)
    {
        var (code, _, errors) = await Run(args);
        code.ShouldBe(2);
        errors.ShouldContain("planbot --help");
    }

    /// <summary>Only the invoked command is built at start-up (issue 19): each must be found by the name it is built under, and the root help still lists all.</summary>
    [Fact]
    public async Task Every_command_is_built_under_its_own_name_and_the_root_help_lists_them_all()
    {
        string[] commands = ["plan", "render", "projects", "demo", "locks", "run", "serve", "drift", "queue"];
        var (rootCode, rootHelp, _) = await Run("--help");
        rootCode.ShouldBe(0);
        foreach (var command in commands)
        {
            rootHelp.ShouldContain($"  {command} ");
            var (code, help, errors) = await Run(command, "--help");
            code.ShouldBe(0, $"{command}: {errors}");
            help.ShouldContain($" {command} [", Case.Sensitive, "the usage line names the command (the executable is testhost here)");
            if (command != "render")
            {
                help.ShouldNotContain("  render ", customMessage: $"{command} --help built the other commands too");
            }
        }
    }
}
