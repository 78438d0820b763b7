using System.Text;
using PlanBot.Core.Runs;
using static PlanBot.Core.Rendering.Markdown;

namespace PlanBot.Core.Rendering;

/// <summary>
/// The plan comment's "After the merge" section: which projects the merge apply re-plans against the
/// new state after which upstream applies, including projects the pull request did not touch, so a
/// reviewer knows before merging what else will move (PRODUCT.md "Dependents see new outputs").
/// </summary>
internal static class AfterMergeMarkdown
{
    public static string? Render(AfterMerge? afterMerge)
    {
        if (afterMerge is null || afterMerge.Replans.Count == 0)
        {
            return null;
        }

        var sb = new StringBuilder("**After the merge**, what reads a changed project is re-planned against its new state once it applies:\n");
        foreach (var group in afterMerge.Replans.GroupBy(r => r.Upstream, StringComparer.Ordinal))
        {
            var readers = group.Select(r => $"{Code(r.Dependent)} ({Code(r.Via)}{(r.InPullRequest ? "" : ", not in this pull request")})");
            sb.Append($"- after {Code(group.Key)} applies: {string.Join(", ", readers)}\n");
        }

        var then = new List<string>();
        if (afterMerge.Replans.Any(r => r.InPullRequest))
        {
            then.Add("A project of this pull request re-planned this way is applied only when its new plan is the approved one (or needs no approval).");
        }

        if (afterMerge.Replans.Any(r => !r.InPullRequest))
        {
            then.Add(afterMerge.ApplyDependents
                ? "A project not in this pull request is applied at once when its new plan needs no approval (`apply.dependents: apply`); else its plan is posted here and `/planbot apply` or `/planbot approve` applies it while the merge is the default branch's head."
                : "A project not in this pull request is not applied by the merge (`apply.dependents: plan`): its plan is posted here and `/planbot apply` or `/planbot approve` applies it while the merge is the default branch's head.");
        }

        return sb.Append('\n').Append(string.Join(' ', then)).Append("\n\n").ToString();
    }
}
