using PlanBot.Core.Ports;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Rendering;

/// <summary>The check run of one project (<c>planbot: NAME</c>): its conclusion, a title with the counts, and its full report as the output.</summary>
public static class CheckRunText
{
    public static CheckRun For(RunReport report, ProjectResult project, CommentOptions options)
    {
        var single = report with { Projects = [project], Levels = [[project.Project.Name]], Deleted = [], Warnings = [] };
        var summary = MarkdownComment.Render(single, options with { MaxChars = 65_000, MaxParts = 1, Markers = false, FooterNote = null, FullReportLocation = "the job summary of this run and the plan artifact" })[0];
        var conclusion = project.Status switch
        {
            ProjectStatus.Failed => "failure",
            ProjectStatus.Skipped => "skipped",
            ProjectStatus.Locked => "action_required",
            _ when project.Approval.Required && project.ApprovedBy.Count == 0 => "action_required",
            _ => "success",
        };
        var c = project.Plan?.Counts;
        var title = c is null ? JsonReport.StatusName(project.Status).Replace('_', ' ') + (project.Error is { } e ? $": {e.Split('\n')[0]}" : "")
            : $"{c.Create} to add, {c.Update} to change, {c.Delete} to destroy, {c.Replace} to replace";
        return new CheckRun($"planbot: {project.Project.Name}", report.Head, conclusion, title, summary);
    }
}
