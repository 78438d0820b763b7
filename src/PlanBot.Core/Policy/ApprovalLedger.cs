using PlanBot.Core.Comments;
using PlanBot.Core.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using PlanBot.Core.Ports;
using PlanBot.Core.Commands;

namespace PlanBot.Core.Policy;

/// <summary>An approval PlanBot accepted: which comment, who, on which head, for which plans (fingerprints).</summary>
public sealed record ApprovalEntry(long Comment, string User, string Head, Dictionary<string, string> Fingerprints);

/// <summary>The plan the comment shows: its head, when that head was first planned, each project's fingerprint, and which need approval.</summary>
/// <param name="PlannedAt">PlanBot's own clock (TimeProvider), unix milliseconds: orders records, never judges an approval.</param>
/// <param name="PostedAt">GitHub's clock: the plan comment's <c>updated_at</c> (unix seconds) as GitHub returned it when this head's plan was first posted; approvals are timed against it.</param>
public sealed record PlanMeta(string Head, long PlannedAt, Dictionary<string, string> Fingerprints, string[] Required, long? PostedAt = null);

/// <summary>
/// Approvals are rebuilt on every run from the PR itself, so they survive an empty disk: each entry
/// in PlanBot's metadata must still point at an unedited <c>/planbot approve</c> comment by the same
/// user, posted while the current head was the head, from someone whose approval counts today,
/// for a plan whose fingerprint is the one planned now. Anything else does not count, and says why.
/// </summary>
public static class ApprovalLedger
{
    public static IReadOnlyList<ApprovalEntry> Entries(string? meta) =>
        MetaSections.Get(meta, "approvals") is JsonArray array ? array.Deserialize(LedgerJson.Default.ListApprovalEntry) ?? [] : [];

    public static PlanMeta? Plan(string? meta) =>
        MetaSections.Get(meta, "plan") is JsonObject plan ? plan.Deserialize(LedgerJson.Default.PlanMeta) : null;

    public static string WithEntries(string? meta, IEnumerable<ApprovalEntry> entries) =>
        MetaSections.Set(meta, "approvals", JsonSerializer.SerializeToNode([.. entries], LedgerJson.Default.ListApprovalEntry));

    public static string WithPlan(string? meta, PlanMeta plan) =>
        MetaSections.Set(meta, "plan", JsonSerializer.SerializeToNode(plan, LedgerJson.Default.PlanMeta));

    /// <returns>For each project, who approved its current plan (distinct users), and notes on approvals that do not count.</returns>
    public static async Task<(Dictionary<string, List<string>> Approvers, List<string> Notes)> VerifyAsync(
        IReadOnlyList<ApprovalEntry> entries, IReadOnlyList<IssueComment> comments, PlanMeta plan, ApproverCheck check, string repo, string author, CancellationToken cancellationToken)
    {
        var approvers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var notes = new List<string>();
        var verdicts = new Dictionary<string, ApproverVerdict>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries)
        {
            var comment = comments.FirstOrDefault(c => c.Id == entry.Comment);
            if (comment is null || !string.Equals(comment.Author, entry.User, StringComparison.OrdinalIgnoreCase) || SlashCommand.Parse(comment.Body).Verb != CommandVerb.Approve)
            {
                continue; // deleted, or not the approval it claims to be
            }

            if (comment.UpdatedAt - comment.CreatedAt > TimeSpan.FromSeconds(1))
            {
                notes.Add($"@{entry.User}'s approval was edited after it was posted, so it does not count (anyone with write access can edit comments): approve again in a new comment");
                continue;
            }

            if (entry.Head != plan.Head)
            {
                notes.Add($"@{entry.User}'s approval was given on `{Naming.ShortSha(entry.Head)}`; a push since then voids it");
                continue;
            }

            if (PostedBefore(comment, plan))
            {
                notes.Add($"@{entry.User}'s approval was posted at {comment.CreatedAt:u}, before the plan of `{Naming.ShortSha(plan.Head)}` was shown (at {DateTimeOffset.FromUnixTimeSeconds(plan.PostedAt ?? plan.PlannedAt / 1000):u}, GitHub's clock), so it cannot be an approval of that plan: approve again");
                continue;
            }

            if (!verdicts.TryGetValue(entry.User, out var verdict))
            {
                verdicts[entry.User] = verdict = await check.CheckAsync(repo, entry.User, author, cancellationToken).ConfigureAwait(false);
            }

            if (!verdict.Allowed)
            {
                notes.Add($"@{entry.User}'s approval does not count: {verdict.Why}");
                continue;
            }

            foreach (var (project, fingerprint) in entry.Fingerprints)
            {
                if (plan.Fingerprints.TryGetValue(project, out var now) && now == fingerprint)
                {
                    var list = approvers.TryGetValue(project, out var existing) ? existing : approvers[project] = [];
                    if (!list.Contains(entry.User, StringComparer.OrdinalIgnoreCase))
                    {
                        list.Add(entry.User);
                    }
                }
                else if (!Plans.PlanFingerprint.IsCurrent(fingerprint))
                {
                    // an approval recorded under an older fingerprint format (e.g. v1: addresses and actions only) never matches: it did not see the values
                    notes.Add($"@{entry.User} approved `{project}` under an older fingerprint format that did not cover attribute values: it needs a new `/planbot approve`");
                }
                else
                {
                    notes.Add($"the plan of `{project}` changed since @{entry.User} approved it: it needs a new `/planbot approve`");
                }
            }
        }

        return (approvers, notes);
    }

    /// <summary>
    /// Both sides on GitHub's clock, whose timestamps have whole seconds: an approval in the same
    /// second as the plan counts. Plans recorded before PostedAt existed fall back to PlanBot's clock
    /// at second precision.
    /// </summary>
    public static bool PostedBefore(IssueComment approval, PlanMeta plan)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentNullException.ThrowIfNull(plan);
        return approval.CreatedAt.ToUnixTimeSeconds() < (plan.PostedAt ?? plan.PlannedAt / 1000);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(List<ApprovalEntry>))]
[JsonSerializable(typeof(PlanMeta))]
[JsonSerializable(typeof(ProjectApprovals))]
internal sealed partial class LedgerJson : JsonSerializerContext;
