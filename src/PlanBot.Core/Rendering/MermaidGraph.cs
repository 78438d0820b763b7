using PlanBot.Core.Runs;
using System.Text;

namespace PlanBot.Core.Rendering;

/// <summary>A Mermaid picture of the run order (GitHub renders it), failed and skipped projects marked.</summary>
internal static class MermaidGraph
{
    public static string? Render(RunReport report)
    {
        if (report.Levels.Count < 2)
        {
            return null;
        }

        var ids = report.Projects.Select((p, i) => (p.Project.Name, Id: $"p{i}")).ToDictionary(x => x.Name, x => x.Id, StringComparer.Ordinal);
        var sb = new StringBuilder("```mermaid\nflowchart LR\n");
        foreach (var p in report.Projects)
        {
            var label = p.Project.Name.Replace("\"", "#quot;", StringComparison.Ordinal).Replace("`", "#96;", StringComparison.Ordinal);
            sb.Append($"  {ids[p.Project.Name]}[\"{label}\"]\n");
        }

        foreach (var p in report.Projects)
        {
            foreach (var dependency in report.DependenciesOf(p.Project.Name).Where(ids.ContainsKey))
            {
                sb.Append($"  {ids[dependency]} --> {ids[p.Project.Name]}\n");
            }
        }

        foreach (var (status, style) in new[] { (ProjectStatus.Failed, "fill:#fdd,stroke:#c00"), (ProjectStatus.Skipped, "fill:#eee,stroke:#999,stroke-dasharray:4"), (ProjectStatus.Locked, "fill:#ffe8b3,stroke:#c80") })
        {
            var members = report.Projects.Where(p => p.Status == status).Select(p => ids[p.Project.Name]).ToArray();
            if (members.Length > 0)
            {
                var name = JsonReport.StatusName(status);
                sb.Append($"  classDef {name} {style}\n  class {string.Join(',', members)} {name}\n");
            }
        }

        return sb.Append("```\n\n").ToString();
    }
}
