using PlanBot.Core.Runs;
using System.Text;
using PlanBot.Core.Plans;
using static PlanBot.Core.Rendering.Markdown;

namespace PlanBot.Core.Rendering;

/// <summary>
/// The PR comment (PRODUCT.md "The PR comment"): marker, header with totals, project table, a
/// warning naming every destroy and replace, the run order as a Mermaid graph, one &lt;details&gt; per
/// project with its resources and attribute diffs, and the next commands. Split at unit boundaries
/// into parts of at most <see cref="CommentOptions.MaxChars"/>; when more than
/// <see cref="CommentOptions.MaxParts"/> would be needed, the largest projects lose their attribute
/// diffs first, then their resource lists, and the comment says what was left out. The header, table
/// and warnings are never dropped (they may take more parts than the limit on a huge destroy).
/// </summary>
public static class MarkdownComment
{
    public const string Marker = "<!-- planbot:plan -->";

    public static string PartMarker(int part) => part == 1 ? Marker : $"<!-- planbot:plan part={part} -->";

    public static IReadOnlyList<string> Render(RunReport report, CommentOptions options)
    {
        var sections = report.Projects.Where(p => p.Status != ProjectStatus.NoChanges).Select(p => new ProjectSection(p, options)).ToArray();
        var levels = sections.ToDictionary(s => s.Name, _ => DetailLevel.Full, StringComparer.Ordinal);
        var capacity = (long)options.MaxParts * (options.MaxChars - 300);
        var sizes = new Dictionary<(string, DetailLevel), int>();
        int Size(ProjectSection s, DetailLevel level)
        {
            if (!sizes.TryGetValue((s.Name, level), out var size))
            {
                sizes[(s.Name, level)] = size = s.Size(level, capacity + 1); // past the capacity the exact size does not matter
            }

            return size;
        }

        // Whether a section at full detail exceeds the capacity is first asked of a lower bound that
        // computes no diff (issue 19); only its exact size orders the sections in Degrade.
        long Estimate(ProjectSection s, DetailLevel level) =>
            level == DetailLevel.Full && !sizes.ContainsKey((s.Name, level)) && s.FullSizeAtLeast(capacity + 1) > capacity ? capacity + 1 : Size(s, level);

        var footer = Footer(report, options);
        var warnings = Warnings.Lines(report).ToArray(); // the same at every level: listed once (a mass destroy lists thousands)
        while (true)
        {
            var head = Head(report, options, sections, levels, warnings);
            var estimate = head.Sum(h => (long)h.Length) + footer.Length + sections.Sum(s => Estimate(s, levels[s.Name]));
            IReadOnlyList<string>? parts = null;
            if (estimate <= capacity || !CanDegrade(sections, levels))
            {
                parts = Write(report, options, head, sections, levels, footer);
                if (parts.Count <= options.MaxParts || !CanDegrade(sections, levels))
                {
                    return parts;
                }
            }

            Degrade(sections, levels, Size);
        }
    }

    private static bool CanDegrade(ProjectSection[] sections, Dictionary<string, DetailLevel> levels) =>
        sections.Any(s => levels[s.Name] != DetailLevel.Counts && s.Resources > 0);

    /// <summary>One step: the largest project still showing diffs loses them; once none does, the largest list goes.</summary>
    private static void Degrade(ProjectSection[] sections, Dictionary<string, DetailLevel> levels, Func<ProjectSection, DetailLevel, int> size)
    {
        foreach (var level in new[] { DetailLevel.Full, DetailLevel.Addresses })
        {
            var candidates = sections.Where(s => levels[s.Name] == level && s.Resources > 0).ToArray();
            var largest = candidates.Length == 1
                ? candidates[0] // the only one: its size need not be known (at full detail it would compute diffs)
                : candidates.OrderByDescending(s => size(s, level)).ThenByDescending(s => s.Resources).ThenBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault();
            if (largest is not null)
            {
                levels[largest.Name] = level + 1;
                return;
            }
        }
    }

    private static List<string> Head(RunReport report, CommentOptions options, ProjectSection[] sections, Dictionary<string, DetailLevel> levels, string[] warnings)
    {
        var head = new List<string>();
        var sb = new StringBuilder();
        if (!options.Headless)
        {
            Header(sb, report, options);
            Table(sb, report);
        }

        head.Add(sb.ToString());
        head.AddRange(warnings);
        var noDiffs = sections.Where(s => levels[s.Name] == DetailLevel.Addresses).ToArray();
        var noLists = sections.Where(s => levels[s.Name] == DetailLevel.Counts && s.Resources > 0).ToArray();
        if (noDiffs.Length + noLists.Length > 0)
        {
            var what = new List<string>();
            if (noDiffs.Length > 0)
            {
                what.Add("attribute diffs of " + string.Join(", ", noDiffs.Select(s => $"{Code(s.Name)} ({Plural(s.Resources, "resource")})")));
            }

            if (noLists.Length > 0)
            {
                what.Add("resource lists of " + string.Join(", ", noLists.Select(s => $"{Code(s.Name)} ({Plural(s.Resources, "resource")})")));
            }

            head.Add($"> [!NOTE]\n> To fit GitHub's comment size limit, this comment leaves out the {string.Join(", and the ", what)}. The full report is in {options.FullReportLocation}.\n\n");
        }

        if (MermaidGraph.Render(report) is { } graph)
        {
            head.Add(graph);
        }

        if (!options.Headless && AfterMergeMarkdown.Render(report.AfterMerge) is { } afterMerge)
        {
            head.Add(afterMerge);
        }

        return head;
    }

    private static IReadOnlyList<string> Write(RunReport report, CommentOptions options, List<string> head, ProjectSection[] sections, Dictionary<string, DetailLevel> levels, string footer)
    {
        var writer = new PartWriter(options.MaxChars, footer.Length + 16, n => options.Markers ? PartMarker(n) + "\n" : "");
        foreach (var text in head)
        {
            writer.Text(text);
        }

        var unchanged = report.Projects.Where(p => p.Status == ProjectStatus.NoChanges).ToArray();
        foreach (var p in unchanged)
        {
            writer.Text($"✅ {Code(p.Project.Name)}: no changes\n");
        }

        if (unchanged.Length > 0)
        {
            writer.Text("\n");
        }

        foreach (var section in sections)
        {
            var units = section.Units(levels[section.Name]);
            writer.OpenSection(section.Summary, section.Size(levels[section.Name], options.MaxChars));
            foreach (var unit in units)
            {
                writer.KeepTogether(unit.Length);
                if (unit.Text.Length > 0)
                {
                    writer.Text(unit.Text);
                }

                if (unit.Code is { } code)
                {
                    writer.Code(unit.Language, code);
                }
            }

            writer.CloseSection();
        }

        return writer.Finish(footer);
    }

    private static void Header(StringBuilder sb, RunReport report, CommentOptions options)
    {
        var totals = report.Projects.Where(p => p.Plan is not null).Select(p => p.Plan!.Counts).ToArray();
        sb.Append($"### PlanBot plan for `{Short(report.Head)}`\n\n");
        sb.Append($"base `{Short(report.Base)}`");
        if (options.RunUrl is { } url)
        {
            sb.Append($" · [run]({url})");
        }

        sb.Append($" · {Plural(report.Projects.Count, "project")} · {totals.Sum(c => c.Create):N0} to add · {totals.Sum(c => c.Update):N0} to change · {totals.Sum(c => c.Delete):N0} to destroy · {totals.Sum(c => c.Replace):N0} to replace");
        var failed = report.Projects.Count(p => !p.Succeeded);
        if (failed > 0)
        {
            sb.Append($" · **{failed} not planned**");
        }

        sb.Append("\n\n");
        if (report.Projects.Count == 0)
        {
            sb.Append("No Terraform project is affected by this change.\n\n");
        }
    }

    private static void Table(StringBuilder sb, RunReport report)
    {
        if (report.Projects.Count == 0 && report.Deleted.Count == 0)
        {
            return;
        }

        sb.Append("| Project | Dir | Workspace | Result | + | ~ | - | ± | Approval |\n");
        sb.Append("|---|---|---|---|--:|--:|--:|--:|---|\n");
        foreach (var p in report.Projects)
        {
            var c = p.Plan?.Counts ?? new ActionCounts();
            sb.Append($"| {CodeCell(p.Project.Name)} | {CodeCell(p.Project.Dir)} | {Cell(p.Project.Workspace)} | {Result(p)} | {c.Create:N0} | {c.Update:N0} | {c.Delete:N0} | {c.Replace:N0} | {Approval(p)} |\n");
        }

        foreach (var deleted in report.Deleted)
        {
            sb.Append($"| {CodeCell(deleted.Dir)} | {CodeCell(deleted.Dir)} | — | 🗑️ dir deleted, not planned | | | | | — |\n");
        }

        sb.Append('\n');
    }

    private static string Approval(ProjectResult p) =>
        (p.ApprovedBy.Count > 0 ? "✅ approved by " + string.Join(", ", p.ApprovedBy.Select(u => "@" + Cell(u)))
        : p.Approval.Required ? "**needed**: " + string.Join(", ", p.Approval.Reasons).Replace("|", "\\|", StringComparison.Ordinal)
        : p.Plan is null ? "—" : "not needed")
        // the content fingerprint's short form: what an approval binds to, quotable in review
        + (p.Plan is null ? "" : $" · plan `{PlanFingerprint.Short(p.Plan.Fingerprint)}`");

    private static string Result(ProjectResult p) => p.Status switch
    {
        ProjectStatus.Planned => p.Plan!.Errored ? "⚠️ planned (incomplete)" : "📝 planned",
        ProjectStatus.NoChanges => "✅ no changes",
        ProjectStatus.Failed => "❌ failed: " + Cell(p.Error),
        ProjectStatus.Skipped => "⏭️ skipped: " + Cell(p.Error),
        ProjectStatus.Locked => "🔒 locked: " + Cell(p.Error),
        _ => p.Status.ToString(),
    };

    private static string Footer(RunReport report, CommentOptions options)
    {
        var sb = new StringBuilder();
        foreach (var warning in report.Warnings.Take(10))
        {
            sb.Append($"> ⚠️ {Html(warning)}\n");
        }

        if (report.Warnings.Count > 10)
        {
            sb.Append($"> ⚠️ and {report.Warnings.Count - 10} more warnings in the job summary\n");
        }

        if (report.Warnings.Count > 0)
        {
            sb.Append('\n');
        }

        if (!options.Headless)
        {
            sb.Append("Next: `/planbot approve` · `/planbot plan` · `/planbot unlock` · `/planbot help`\n");
        }

        if (options.FooterNote is { } note)
        {
            sb.Append($"\n<sub>{Html(note)}</sub>\n");
        }
        return sb.ToString();
    }
}
