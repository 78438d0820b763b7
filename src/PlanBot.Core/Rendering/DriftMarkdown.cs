using PlanBot.Core.Runs;
using System.Text;
using static PlanBot.Core.Rendering.Markdown;

namespace PlanBot.Core.Rendering;

/// <summary>
/// The drift report in the PR comment's visual language: a table of every project checked (status,
/// resources that differ, first seen), then the plan details of the drifted and failed ones —
/// sensitive values masked and the size limit honoured as in the comment.
/// </summary>
public static class DriftMarkdown
{
    public const string Title = "PlanBot drift report";

    public static string Render(DriftReport report, CommentOptions options)
    {
        var sb = new StringBuilder();
        var run = report.Run;
        var drifted = report.Drifted.Count;
        var failed = report.Projects.Count(p => p.Status == DriftStatus.Failed);
        sb.Append($"### {Title}\n\n");
        sb.Append($"default branch at `{Short(run.Head)}` · checked {report.CheckedAt:yyyy-MM-dd HH:mm} UTC{(options.RunUrl is { } url ? $" · [run]({url})" : "")} · ");
        sb.Append($"{Plural(report.Projects.Count, "project")} · **{drifted} drifted** · {failed} failed · {report.Projects.Count - drifted - failed} in sync\n\n");
        sb.Append("| Project | Dir | Status | Resources that differ | First seen |\n|---|---|---|--:|---|\n");
        foreach (var p in report.Projects)
        {
            var status = p.Status switch
            {
                DriftStatus.Drifted => "⚠️ drifted",
                DriftStatus.Failed => "❌ failed: " + Cell(p.Result.Error),
                _ => "✅ in sync",
            };
            sb.Append($"| {CodeCell(p.Name)} | {CodeCell(p.Result.Project.Dir)} | {status} | {(p.Status == DriftStatus.Drifted ? p.Resources.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "")} | {(p.FirstSeen is { } seen ? seen.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "")} |\n");
        }

        sb.Append('\n');
        var details = report.Projects.Where(p => p.Status != DriftStatus.InSync).Select(p => p.Result).ToArray();
        if (details.Length > 0)
        {
            sb.Append("Applying the default branch now would make these changes (drift is what changed outside of Terraform):\n\n");
            var body = MarkdownComment.Render(run with { Projects = details, Levels = [[.. details.Select(d => d.Project.Name)]], Deleted = [] },
                options with { Markers = false, MaxParts = 1, MaxChars = Math.Max(4_000, options.MaxChars - sb.Length - 500), Headless = true, FooterNote = null })[0];
            sb.Append(body);
        }

        sb.Append("\n<sub>Kept up to date by PlanBot's scheduled drift check; it closes itself when every project is back in sync.</sub>\n");
        return sb.ToString();
    }
}
