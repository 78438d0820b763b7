using System.Text;
using PlanBot.Core.Config;
using PlanBot.Core.Plans;
using PlanBot.Core.Workflows;

namespace PlanBot.Core.Rendering;

/// <summary>
/// The PR comment (PRODUCT.md "The PR comment"): marker, head SHA, project table, a warning naming
/// every destroy and replace, one &lt;details&gt; per project with its resources, and the next commands.
/// Values are never printed, so sensitive values cannot leak. Split at section boundaries into parts
/// of at most <see cref="CommentSettings.MaxChars"/>.
/// </summary>
public static class MarkdownComment
{
    public const string Marker = "<!-- planbot:plan -->";

    public static string PartMarker(int part) => part == 1 ? Marker : $"<!-- planbot:plan part={part} -->";

    public static IReadOnlyList<string> Render(RunReport report, CommentSettings settings)
    {
        var head = new StringBuilder();
        head.Append(Marker).Append('\n');
        WriteHeader(head, report);
        WriteTable(head, report);
        WriteWarnings(head, report);

        var sections = report.Projects.Where(p => p.Status != ProjectStatus.NoChanges).Select(Section).ToList();
        var footer = Footer(report);
        return Split(head.ToString(), sections, footer, settings.MaxChars);
    }

    private static void WriteHeader(StringBuilder sb, RunReport report)
    {
        var totals = report.Projects.Where(p => p.Plan is not null).Select(p => p.Plan!.Counts).ToArray();
        sb.Append($"### PlanBot plan for `{Short(report.Head)}`\n\n");
        sb.Append($"base `{Short(report.Base)}` · {Plural(report.Projects.Count, "project")}");
        sb.Append($" · {totals.Sum(c => c.Create)} to add · {totals.Sum(c => c.Update)} to change · {totals.Sum(c => c.Delete)} to destroy · {totals.Sum(c => c.Replace)} to replace");
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

    private static void WriteTable(StringBuilder sb, RunReport report)
    {
        if (report.Projects.Count == 0)
        {
            return;
        }

        sb.Append("| Project | Dir | Workspace | Result | + | ~ | - | ± | Approval |\n");
        sb.Append("|---|---|---|---|--:|--:|--:|--:|---|\n");
        foreach (var p in report.Projects)
        {
            var c = p.Plan?.Counts ?? new ActionCounts();
            var approval = p.Approval.Required ? "**needed**: " + string.Join(", ", p.Approval.Reasons) : p.Plan is null ? "—" : "not needed";
            sb.Append($"| `{p.Project.Name}` | `{p.Project.Dir}` | {p.Project.Workspace} | {Result(p)} | {c.Create} | {c.Update} | {c.Delete} | {c.Replace} | {approval} |\n");
        }

        foreach (var deleted in report.Deleted)
        {
            sb.Append($"| `{deleted.Dir}` | `{deleted.Dir}` | — | 🗑️ dir deleted, not planned | | | | | — |\n");
        }

        sb.Append('\n');
    }

    private static string Result(ProjectResult p) => p.Status switch
    {
        ProjectStatus.Planned => p.Plan!.Errored ? "⚠️ planned (incomplete)" : "📝 planned",
        ProjectStatus.NoChanges => "✅ no changes",
        ProjectStatus.Failed => "❌ failed: " + Cell(p.Error),
        ProjectStatus.Skipped => "⏭️ skipped: " + Cell(p.Error),
        ProjectStatus.Locked => "🔒 locked: " + Cell(p.Error),
        _ => p.Status.ToString(),
    };

    private static void WriteWarnings(StringBuilder sb, RunReport report)
    {
        var destructive = report.Projects
            .Where(p => p.Plan is not null)
            .SelectMany(p => p.Plan!.Changes.Where(c => c.Action is ChangeAction.Delete or ChangeAction.Replace).Select(c => (p.Project.Name, Change: c)))
            .ToArray();
        if (destructive.Length == 0 && report.Deleted.Count == 0)
        {
            return;
        }

        sb.Append("> [!CAUTION]\n> **This change destroys or replaces resources.**\n");
        foreach (var (project, change) in destructive)
        {
            var verb = change.Action == ChangeAction.Delete ? "will be **destroyed**" : "will be **replaced**";
            var why = Reason(change);
            sb.Append($"> - `{project}`: `{change.Address}` {verb}{(why is null ? "" : $" ({why})")}\n");
        }

        foreach (var deleted in report.Deleted)
        {
            sb.Append($"> - `{deleted.Dir}`: the directory was deleted; its resources are **not destroyed** by this merge. Run `terraform destroy` there first, or keep tracking them elsewhere.\n");
        }

        sb.Append('\n');
    }

    private static string? Reason(ResourceChange change)
    {
        var reason = change.ActionReason switch
        {
            "replace_because_tainted" => "tainted",
            "replace_because_cannot_update" => "cannot be updated in place",
            "replace_by_request" => "replacement requested",
            "replace_by_triggers" => "replace_triggered_by",
            "delete_because_no_resource_config" => "no longer in configuration",
            "delete_because_no_module" => "its module was removed",
            "delete_because_wrong_repetition" => "count/for_each changed",
            "delete_because_count_index" => "count index out of range",
            "delete_because_each_key" => "for_each key removed",
            "delete_because_no_move_target" => "move target missing",
            null => null,
            var other => other,
        };
        if (change.ReplacePaths.Count > 0)
        {
            var forced = "forced by " + string.Join(", ", change.ReplacePaths.Select(p => $"`{p}`"));
            reason = reason is null ? forced : $"{reason}; {forced}";
        }

        return reason;
    }

    private static string Section(ProjectResult p)
    {
        var sb = new StringBuilder();
        var summary = p.Plan is { } plan
            ? $"{plan.Counts.Create} to add, {plan.Counts.Update} to change, {plan.Counts.Delete} to destroy, {plan.Counts.Replace} to replace"
            : JsonReport.StatusName(p.Status);
        sb.Append($"<details><summary><b>{Html(p.Project.Name)}</b>: {summary}</summary>\n\n");
        if (p.Reasons.Count > 0)
        {
            sb.Append($"Why: {Html(string.Join("; ", p.Reasons.Take(5)))}{(p.Reasons.Count > 5 ? "; …" : "")}\n\n");
        }

        if (p.Plan is { } planned)
        {
            if (planned.Errored)
            {
                sb.Append("**Terraform stopped planning part-way; the list below is incomplete.**\n\n");
            }

            foreach (var group in planned.Changes.GroupBy(c => GroupName(c)).OrderBy(g => GroupOrder(g.Key)))
            {
                sb.Append($"**{group.Key}**\n");
                foreach (var change in group)
                {
                    var extra = change.IsMove ? $" (moved from `{change.PreviousAddress}`)" : "";
                    sb.Append($"- `{change.Address}`{extra}\n");
                }

                sb.Append('\n');
            }

            if (planned.OutputChanges.Count > 0)
            {
                sb.Append("**Outputs**: ").Append(string.Join(", ", planned.OutputChanges.Select(o => $"`{o.Name}` ({o.Action.ToString().ToLowerInvariant()})"))).Append("\n\n");
            }

            if (planned.Drift.Count > 0)
            {
                sb.Append($"**Changed outside of Terraform**: {string.Join(", ", planned.Drift.Select(d => $"`{d.Address}`"))}\n\n");
            }
        }
        else if (p.Diagnostics is { Length: > 0 } diagnostics)
        {
            sb.Append("```text\n").Append(diagnostics.Replace("```", "ʼʼʼ", StringComparison.Ordinal).TrimEnd()).Append("\n```\n\n");
        }
        else if (p.Error is { } error)
        {
            sb.Append(Html(error)).Append("\n\n");
        }

        sb.Append("</details>\n\n");
        return sb.ToString();
    }

    private static string GroupName(ResourceChange change) => change.Action switch
    {
        ChangeAction.Replace => "Replace",
        ChangeAction.Delete => "Destroy",
        ChangeAction.Create => change.Importing ? "Import" : "Create",
        ChangeAction.Update => "Update",
        ChangeAction.Read => "Read",
        ChangeAction.Forget => "Forget (removed from state, not destroyed)",
        _ => change.Importing ? "Import" : change.IsMove ? "Move" : "Other",
    };

    private static int GroupOrder(string group) => Array.IndexOf(
        ["Replace", "Destroy", "Create", "Update", "Read", "Import", "Move", "Forget (removed from state, not destroyed)", "Other"], group);

    private static string Footer(RunReport report)
    {
        var sb = new StringBuilder();
        if (report.Levels.Count > 1)
        {
            sb.Append("Run order: ").Append(string.Join(" → ", report.Levels.Select((l, i) => $"{i + 1}. {string.Join(", ", l.Select(n => $"`{n}`"))}"))).Append("\n\n");
        }

        foreach (var warning in report.Warnings.Take(10))
        {
            sb.Append($"> ⚠️ {Html(warning)}\n");
        }

        if (report.Warnings.Count > 0)
        {
            sb.Append('\n');
        }

        sb.Append("Next: `/planbot approve` · `/planbot plan` · `/planbot unlock` · `/planbot help`\n");
        return sb.ToString();
    }

    /// <summary>Packs sections into parts no longer than <paramref name="maxChars"/>; a section too big for one part is cut with a notice.</summary>
    private static List<string> Split(string head, List<string> sections, string footer, int maxChars)
    {
        var parts = new List<string>();
        var current = new StringBuilder(head);
        foreach (var section in sections)
        {
            if (current.Length + section.Length > maxChars - footer.Length - 1)
            {
                parts.Add(current.ToString());
                current = new StringBuilder(PartMarker(parts.Count + 1)).Append('\n');
            }

            var room = maxChars - footer.Length - current.Length - 1;
            current.Append(section.Length <= room ? section : Cut(section, room));
        }

        current.Append(footer);
        parts.Add(current.ToString());
        return parts;
    }

    private static string Cut(string section, int room)
    {
        const string notice = "\n… cut here: this project's resource list is longer than one comment; the full plan is in the job summary and the plan artifact.\n\n</details>\n\n";
        var keep = Math.Max(0, room - notice.Length);
        var cut = section.LastIndexOf('\n', Math.Min(keep, section.Length - 1));
        return section[..Math.Max(0, cut)] + notice;
    }

    private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;

    private static string Plural(int n, string word) => $"{n} {word}{(n == 1 ? "" : "s")}";

    private static string Html(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Cell(string? text) => Html((text ?? "").Split('\n')[0]).Replace("|", "\\|", StringComparison.Ordinal);
}
