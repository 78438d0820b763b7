using System.Text;
using PlanBot.Core.Commands;
using PlanBot.Core.Common;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Rendering;

/// <summary>The result comment of an apply (after a merge, or before it with <c>/planbot apply</c>).</summary>
public static class ApplyMarkdown
{
    public const string Marker = "<!-- planbot:apply -->";

    /// <summary>The apply of a merge commit.</summary>
    public static string Merge(string sha, int pr, IReadOnlyList<ApplyResult> results, IReadOnlyList<string> notes) =>
        Render($"PlanBot apply of `{Naming.ShortSha(sha)}` (the merge of #{pr})", results, notes);

    /// <summary>
    /// The result comment of an apply: one row per project (applied from the stored plan, applied from a
    /// matching re-plan, held back, a dependent planned or applied after its upstream), then what
    /// differs in held-back plans and what to do about waiting, held-back and failed projects.
    /// </summary>
    public static string Render(string title, IReadOnlyList<ApplyResult> results, IReadOnlyList<string> notes)
    {
        var sb = new StringBuilder($"{Marker}\n### {title}\n\n| Project | Result |\n|---|---|\n");
        foreach (var r in results)
        {
            var what = r.Status switch
            {
                ApplyStatus.Applied => $"✅ applied{From(r)}: {Counts(r.Counts!)}",
                ApplyStatus.NoChanges => "✅ no changes",
                ApplyStatus.HeldBack => $"⏸️ held back: {r.Detail}",
                ApplyStatus.Skipped => $"⏭️ skipped: {r.Detail}",
                ApplyStatus.Planned => $"📝 planned, not applied: {r.Counts!.Create} to add, {r.Counts.Update} to change, {r.Counts.Delete} to destroy, {r.Counts.Replace} to replace; {r.Detail}",
                _ => $"❌ failed: {r.Detail}",
            };
            var project = r.After is null ? $"`{r.Project}`" : $"`{r.Project}` (reads `{r.After}`)";
            sb.Append($"| {project} | {what.Replace("|", "\\|", StringComparison.Ordinal).Split('\n')[0]} |\n");
        }

        foreach (var note in notes)
        {
            sb.Append($"\n> ⚠️ {note}");
        }

        foreach (var held in results.Where(r => r.Status == ApplyStatus.HeldBack && r.Differences.Count > 0))
        {
            sb.Append($"\n\n**`{held.Project}`: what differs from the approved plan**\n");
            foreach (var line in held.Differences)
            {
                sb.Append("- ").Append(UserText.Code(line, 300)).Append('\n');
            }
        }

        if (results.Any(r => r.Status == ApplyStatus.HeldBack))
        {
            sb.Append("\n\nHeld-back projects were not applied: their plan is not the one that was approved. Review the plan of the merged commit and apply it with a new `/planbot approve` on this pull request, or a follow-up pull request.\n");
        }

        if (results.Any(r => r.Status == ApplyStatus.Planned))
        {
            sb.Append("\n\nDependents were re-planned against the new outputs of what applied and wait here: `/planbot apply` on this pull request (or `/planbot approve`, for a plan that needs approval) applies them while this merge is the default branch's head; once the default branch moves on, the next pull request that changes them or their upstream plans them again.\n");
        }

        if (results.Any(r => r.Status == ApplyStatus.Failed))
        {
            sb.Append("\n\nA failed apply keeps its project locks: fix forward in a new pull request, or release them with `/planbot unlock` once the state is sound.\n");
        }

        return sb.ToString();
    }

    private static string Counts(Plans.ActionCounts c) => $"{c.Create} added, {c.Update} changed, {c.Delete} destroyed, {c.Replace} replaced";

    /// <summary>Which plan was applied: the stored file (the approved plan itself) or a re-plan, and why a re-plan was needed.</summary>
    private static string From(ApplyResult r) => r.Source switch
    {
        ApplySource.StoredPlan => " from the stored plan",
        ApplySource.Replan when r.After is not null => " from a re-plan against the new state",
        ApplySource.Replan => r.Detail is { Length: > 0 } why ? $" from a re-plan ({why})" : " from a re-plan",
        _ => "",
    };
}
