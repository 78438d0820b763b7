using PlanBot.Core.Runs;
using System.Text;
using PlanBot.Core.Plans;
using static PlanBot.Core.Rendering.Markdown;

namespace PlanBot.Core.Rendering;

/// <summary>The bold block above the details naming every destroy and replace, with terraform's reason.</summary>
internal static class Warnings
{
    /// <summary>Above this many destroys and replaces the list is grouped, so a mass destroy still fits.</summary>
    private const int CompactAbove = 50;

    public static IEnumerable<string> Lines(RunReport report)
    {
        var destructive = report.Projects
            .Where(p => p.Plan is not null)
            .SelectMany(p => p.Plan!.Changes.Where(c => c.Action is ChangeAction.Delete or ChangeAction.Replace).Select(c => (p.Project.Name, Change: c)))
            .ToArray();
        if (destructive.Length == 0 && report.Deleted.Count == 0)
        {
            yield break;
        }

        var destroys = destructive.Count(d => d.Change.Action == ChangeAction.Delete);
        yield return "> [!CAUTION]\n";
        yield return $"> **This change destroys {Plural(destroys, "resource")} and replaces {Plural(destructive.Length - destroys, "resource")}.**\n";
        if (destructive.Length <= CompactAbove)
        {
            foreach (var (project, change) in destructive)
            {
                var verb = change.Action == ChangeAction.Delete ? "will be **destroyed**" : "will be **replaced**";
                var why = Reason(change);
                var deposed = change.Deposed is null ? "" : $" (deposed object {Code(change.Deposed)})";
                yield return $"> - {Code(project)}: {Code(change.Address)}{deposed} {verb}{(why is null ? "" : $" ({why})")}\n";
            }
        }
        else
        {
            // Still every address, but grouped: one line per project, action and reason, a few addresses a line.
            foreach (var group in destructive.GroupBy(d => (d.Name, d.Change.Action, Why: Reason(d.Change))))
            {
                var verb = group.Key.Action == ChangeAction.Delete ? "**destroyed**" : "**replaced**";
                var addresses = group.Select(d => Code(d.Change.Address) + (d.Change.Deposed is null ? "" : $" (deposed {Code(d.Change.Deposed)})")).ToArray();
                yield return $"> - {Code(group.Key.Name)}: {Plural(addresses.Length, "resource")} {verb}{(group.Key.Why is null ? "" : $" ({group.Key.Why})")}:\n";
                foreach (var chunk in addresses.Chunk(20))
                {
                    yield return $">   {string.Join(", ", chunk)}\n";
                }
            }
        }

        foreach (var deleted in report.Deleted)
        {
            yield return $"> - {Code(deleted.Dir)}: the directory was deleted; its resources are **not destroyed** by this merge. Run `terraform destroy` there first, or keep tracking them elsewhere.\n";
        }

        yield return "\n";
    }

    /// <summary>Terraform's action_reason in words, and the attributes that force a replacement.</summary>
    public static string? Reason(ResourceChange change)
    {
        var reason = change.ActionReason switch
        {
            "replace_because_tainted" => "tainted",
            "replace_because_cannot_update" => "cannot be updated in place",
            "replace_by_request" => "replacement requested (-replace)",
            "replace_by_triggers" => "replace_triggered_by",
            "delete_because_no_resource_config" => "no longer in configuration",
            "delete_because_no_module" => "its module was removed",
            "delete_because_wrong_repetition" => "count/for_each changed",
            "delete_because_count_index" => "count index out of range",
            "delete_because_each_key" => "for_each key removed",
            "delete_because_no_move_target" => "move target missing",
            "read_because_config_unknown" => "configuration known only after apply",
            "read_because_dependency_pending" => "depends on a pending change",
            null => null,
            var other => other.Replace('_', ' '),
        };
        if (change.ReplacePaths.Count > 0)
        {
            var forced = "forced by " + string.Join(", ", change.ReplacePaths.Select(Code));
            reason = reason is null ? forced : $"{reason}; {forced}";
        }

        return reason;
    }
}
