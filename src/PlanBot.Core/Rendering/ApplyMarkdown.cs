using System.Text;
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

    /// <summary>The result comment of an apply: one row per project, then what to do about held-back and failed ones.</summary>
    public static string Render(string title, IReadOnlyList<ApplyResult> results, IReadOnlyList<string> notes)
    {
        var sb = new StringBuilder($"{Marker}\n### {title}\n\n| Project | Result |\n|---|---|\n");
        foreach (var r in results)
        {
            var what = r.Status switch
            {
                ApplyStatus.Applied => $"✅ applied: {r.Counts!.Create} added, {r.Counts.Update} changed, {r.Counts.Delete} destroyed, {r.Counts.Replace} replaced",
                ApplyStatus.NoChanges => "✅ no changes",
                ApplyStatus.HeldBack => $"⏸️ held back: {r.Detail}",
                ApplyStatus.Skipped => $"⏭️ skipped: {r.Detail}",
                _ => $"❌ failed: {r.Detail}",
            };
            sb.Append($"| `{r.Project}` | {what.Replace("|", "\\|", StringComparison.Ordinal).Split('\n')[0]} |\n");
        }

        foreach (var note in notes)
        {
            sb.Append($"\n> ⚠️ {note}");
        }

        if (results.Any(r => r.Status == ApplyStatus.HeldBack))
        {
            sb.Append("\n\nHeld-back projects were not applied: their plan is not the one that was approved. Review the plan of the merged commit and apply it with a new `/planbot approve` on this pull request, or a follow-up pull request.\n");
        }

        if (results.Any(r => r.Status == ApplyStatus.Failed))
        {
            sb.Append("\n\nA failed apply keeps its project locks: fix forward in a new pull request, or release them with `/planbot unlock` once the state is sound.\n");
        }

        return sb.ToString();
    }
}
