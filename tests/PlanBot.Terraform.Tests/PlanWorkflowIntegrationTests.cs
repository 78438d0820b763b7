using PlanBot.Core.Runs;
using System.Text.RegularExpressions;
using PlanBot.Core.Workflows;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Terraform.Tests;

/// <summary>The plan engine end to end: real git repositories, real terraform, local state.</summary>
public class PlanWorkflowIntegrationTests
{
    private static Dictionary<string, string> BaseFiles() => new()
    {
        ["modules/tag/main.tf"] = "variable \"v\" {\n  type = string\n}\n" + Resource("tag", "${var.v}") + Output("value", "terraform_data.tag.output"),
        ["envs/net/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") + Resource("old", "legacy") + Resource("db", "db", triggersReplace: "15") + Output("vpc", "terraform_data.vpc.output"),
        ["envs/app/main.tf"] = LocalBackend + ReadsStateOf("../net") + "module \"tag\" {\n  source = \"../../modules/tag\"\n  v = data.terraform_remote_state.upstream.outputs.vpc\n}\n" + Resource("svc", "v1"),
        ["envs/solo/main.tf"] = LocalBackend + Resource("solo", "one"),
    };

    private static async Task<Scenario> AppliedScenarioAsync()
    {
        var scenario = await Scenario.CreateAsync(BaseFiles());
        await scenario.ApplyAsync("envs/net");
        await scenario.ApplyAsync("envs/app");
        await scenario.ApplyAsync("envs/solo");
        return scenario;
    }

    [Fact]
    public async Task A_change_plans_affected_projects_in_order_with_counts_that_match_terraform()
    {
        using var scenario = await AppliedScenarioAsync();
        var report = await scenario.PlanChangeAsync(new Dictionary<string, string?>
        {
            // net: update vpc, delete old, replace db, create subnet
            ["envs/net/main.tf"] = LocalBackend + Resource("vpc", "10.1.0.0/16") + Resource("db", "db", triggersReplace: "16") + Resource("subnet", "a") + Output("vpc", "terraform_data.vpc.output"),
            // the module change reaches app; solo is untouched
            ["modules/tag/main.tf"] = "variable \"v\" {\n  type = string\n}\n" + Resource("tag", "tag-${var.v}") + Output("value", "terraform_data.tag.output"),
        });

        report.Levels.ShouldBe([["envs/net"], ["envs/app"]]);
        report.Projects.Select(p => p.Project.Name).ShouldBe(["envs/net", "envs/app"]);
        report.Projects.ShouldAllBe(p => p.Status == ProjectStatus.Planned);

        var net = report.Projects[0];
        net.Plan!.Counts.Create.ShouldBe(1);
        net.Plan.Counts.Update.ShouldBe(1);
        net.Plan.Counts.Delete.ShouldBe(1);
        net.Plan.Counts.Replace.ShouldBe(1);
        net.Approval.Reasons.ShouldBe(["destructive"]);
        net.Reasons.ShouldBe(["changed envs/net/main.tf"]);
        report.Projects[1].Reasons.ShouldBe(["uses module modules/tag (modules/tag/main.tf changed)"]);

        foreach (var project in report.Projects)
        {
            // terraform's own summary line counts a replace as one add and one destroy
            var log = await File.ReadAllTextAsync(project.LogFile!);
            var match = Regex.Match(log, @"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy");
            match.Success.ShouldBeTrue(project.Project.Name);
            var c = project.Plan!.Counts;
            int.Parse(match.Groups[1].Value).ShouldBe(c.Create + c.Replace);
            int.Parse(match.Groups[2].Value).ShouldBe(c.Update);
            int.Parse(match.Groups[3].Value).ShouldBe(c.Delete + c.Replace);
        }
    }

    [Fact]
    public async Task A_failing_project_skips_its_dependents_and_independent_projects_still_plan()
    {
        using var scenario = await AppliedScenarioAsync();
        var report = await scenario.PlanChangeAsync(new Dictionary<string, string?>
        {
            ["envs/net/main.tf"] = LocalBackend + "resource \"terraform_data\" \"vpc\" {\n  input = var.undeclared\n}\n",
            ["envs/solo/main.tf"] = LocalBackend + Resource("solo", "two"),
        }, projects: null);

        var byName = report.Projects.ToDictionary(p => p.Project.Name);
        byName["envs/net"].Status.ShouldBe(ProjectStatus.Failed);
        byName["envs/net"].Error.ShouldBe("Error: Reference to undeclared input variable");
        byName["envs/net"].Diagnostics.ShouldNotBeNull().ShouldContain("var.undeclared");
        byName["envs/solo"].Status.ShouldBe(ProjectStatus.Planned);
        byName["envs/solo"].Plan!.Counts.Update.ShouldBe(1);
        report.AnyFailed.ShouldBeTrue();
        byName.ContainsKey("envs/app").ShouldBeFalse("app is not affected by the change");

        // asked for explicitly, app depends on the failed net and is skipped with the reason
        var forced = await scenario.PlanChangeAsync(new Dictionary<string, string?>(), projects: ["envs/net", "envs/app"]);
        var app = forced.Projects.Single(p => p.Project.Name == "envs/app");
        app.Status.ShouldBe(ProjectStatus.Skipped);
        app.Error.ShouldBe("depends on envs/net, which did not succeed");
    }

    [Fact]
    public async Task No_changes_workspaces_and_renamed_dirs_are_handled()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["planbot.yaml"] = "projects:\n  - dir: ws\n    workspace: blue\n",
            ["ws/main.tf"] = LocalBackend + Resource("x", "${terraform.workspace}"),
            ["same/main.tf"] = LocalBackend + Resource("y", "y"),
        });
        await scenario.ApplyAsync("same");
        var report = await scenario.PlanChangeAsync(new Dictionary<string, string?>
        {
            ["ws/main.tf"] = LocalBackend + Resource("x", "${terraform.workspace}-2"),
            ["same/extra.tf"] = "# a comment changes nothing\n",
        });
        var ws = report.Projects.Single(p => p.Project.Name == "ws@blue");
        ws.Status.ShouldBe(ProjectStatus.Planned);
        ws.Plan!.Counts.Create.ShouldBe(1);
        report.Projects.Single(p => p.Project.Name == "same").Status.ShouldBe(ProjectStatus.NoChanges);
        report.AnyFailed.ShouldBeFalse();
    }

    [Fact]
    public async Task A_held_terraform_state_lock_is_reported_as_locked_with_its_holder()
    {
        using var scenario = await AppliedScenarioAsync();
        // Hold net's local state lock the way a concurrent terraform would: an open console session.
        var netDir = Path.Combine(scenario.Repo.Root, "envs/net");
        using var holder = new System.Diagnostics.Process
        {
            StartInfo = new("terraform", "console") { WorkingDirectory = netDir, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true },
        };
        holder.Start();
        try
        {
            await WaitForLockAsync(netDir);
            var report = await scenario.PlanChangeAsync(new Dictionary<string, string?> { ["envs/net/extra.tf"] = Resource("more", "x") });
            var net = report.Projects.Single();
            net.Status.ShouldBe(ProjectStatus.Locked);
            net.StateLock.ShouldNotBeNull().Id.ShouldNotBeNullOrEmpty();
            net.Error.ShouldStartWith("state lock held by ");
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
        }
    }

    private static async Task WaitForLockAsync(string dir)
    {
        for (var i = 0; i < 100 && !File.Exists(Path.Combine(dir, ".terraform.tfstate.lock.info")); i++)
        {
            await Task.Delay(100);
        }

        File.Exists(Path.Combine(dir, ".terraform.tfstate.lock.info")).ShouldBeTrue("terraform console should hold the state lock");
    }
}
