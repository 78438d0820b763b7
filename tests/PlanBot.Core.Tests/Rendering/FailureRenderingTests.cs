using PlanBot.Core.Runs;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Testing;
using static PlanBot.Core.Tests.Rendering.RenderHelpers;

namespace PlanBot.Core.Tests.Rendering;

public class FailureRenderingTests
{
    private static RunReport FailedRun()
    {
        var network = new ProjectResult
        {
            Project = new Project { Name = "network", Dir = "envs/network" },
            Status = ProjectStatus.Failed,
            Error = "Error: Invalid reference | use var.x",
            Diagnostics = "Error: Invalid reference\n\n  on main.tf line 3:\n   3:   token = \"AKIAABCDEFGHIJKLMNOP\"\n```\nnot a fence end",
        };
        var app = new ProjectResult { Project = new Project { Name = "app", Dir = "envs/app" }, Status = ProjectStatus.Skipped, Error = "skipped: network failed" };
        var other = Planned("other", Read(PlanGenerator.Plan(1)));
        return new RunReport
        {
            Head = "0123456789abcdef0123456789abcdef01234567",
            Base = "fedcba9876543210fedcba9876543210fedcba98",
            Levels = [["network", "other"], ["app"]],
            Projects = [network, other, app],
            Dependencies = new Dictionary<string, IReadOnlyList<string>> { ["app"] = ["network"], ["network"] = [], ["other"] = [] },
        };
    }

    [Fact]
    public void A_failed_project_shows_its_first_error_line_in_the_table_and_masked_diagnostics_in_its_section()
    {
        var options = new CommentOptions { Masks = PlanDetails.CompileMasks(["AKIA[0-9A-Z]{16}"]) };
        var parts = MarkdownComment.Render(FailedRun(), options);
        var output = string.Join("\n", parts);
        output.ShouldContain("| `network` | `envs/network` | default | ❌ failed: Error: Invalid reference \\| use var.x |");
        output.ShouldContain("| `app` | `envs/app` | default | ⏭️ skipped: skipped: network failed |");
        output.ShouldContain("**2 not planned**");
        output.ShouldContain("   3:   token = \"(sensitive)\"");
        output.ShouldNotContain("AKIAABCDEFGHIJKLMNOP");
        output.ShouldContain("````text\n"); // the diagnostics hold ``` so their fence is longer
        CommentChecks.ShouldBeBalanced(parts[0], options.MaxChars, "failed run");
    }

    [Fact]
    public void The_run_order_graph_draws_dependencies_and_marks_failed_and_skipped_projects()
    {
        var output = MarkdownComment.Render(FailedRun(), new CommentOptions())[0];
        output.ShouldContain("```mermaid\nflowchart LR\n  p0[\"network\"]\n  p1[\"other\"]\n  p2[\"app\"]\n  p0 --> p2\n");
        output.ShouldContain("classDef failed fill:#fdd,stroke:#c00\n  class p0 failed\n");
        output.ShouldContain("class p2 skipped\n");
    }

    [Fact]
    public void One_level_draws_no_graph_and_the_job_summary_has_no_marker()
    {
        var plan = Planned("solo", Read(PlanGenerator.Plan(2)));
        var summary = MarkdownComment.Render(Report(plan), CommentOptions.ForJobSummary(new(), "https://github.com/o/r/actions/runs/1"))[0];
        summary.ShouldNotContain("mermaid");
        summary.ShouldStartWith("### PlanBot plan for `0123456`\n\nbase `fedcba9` · [run](https://github.com/o/r/actions/runs/1) · 1 project · 2 to add");
    }
}
