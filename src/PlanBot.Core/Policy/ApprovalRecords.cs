using System.Text.Json;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Policy;

/// <summary>A PR's approval state: the plan approvals are checked against (null before the first plan) and the approvals given.</summary>
public sealed record ApprovalState(PlanMeta? Plan, IReadOnlyList<ApprovalEntry> Entries)
{
    /// <summary>The PR's project lock records the state was read from: saving it back writes to these, without listing the locks again.</summary>
    internal IReadOnlyList<LockRecord> Records { get; init; } = [];
}

/// <summary>
/// Where a PR's plan fingerprints and approvals are the record. Strict lock backends (local,
/// dynamodb, azure) keep them with each project's lock record: only PlanBot writes there, so
/// nobody who can edit a comment can forge them, and every service replica sees the same state.
/// The github backend has no such record: there the hidden metadata of PlanBot's own comment is
/// the record (every approval in it is re-verified against the PR each run). The comment's
/// metadata is written in both cases, so the PR always shows what PlanBot recorded.
/// </summary>
public sealed class ApprovalRecords(IApprovalStore locks)
{
    /// <summary>The state from the lock records (strict backends) or from the comment's metadata (github).</summary>
    public async Task<ApprovalState> ReadAsync(string repo, int pullRequest, string? commentMeta, CancellationToken cancellationToken)
    {
        if (!locks.KeepsApprovals)
        {
            return new ApprovalState(ApprovalLedger.Plan(commentMeta), ApprovalLedger.Entries(commentMeta));
        }

        var records = (await locks.ListAsync(repo, cancellationToken).ConfigureAwait(false)).Where(r => r.Key.Kind == LockKind.Project && r.Owner.PullRequest == pullRequest).ToArray();
        var kept = records.Select(r => Parse(r.Approvals)).OfType<ProjectApprovals>().ToArray();
        if (kept.Length == 0)
        {
            return new ApprovalState(null, []) { Records = records };
        }

        // The newest head planned is the plan; projects still recorded on an older head (not re-planned since) only contribute their now-void approvals.
        var head = kept.MaxBy(k => k.PlannedAt)!.Head;
        var current = kept.Where(k => k.Head == head).ToArray();
        var plan = new PlanMeta(head, current.Max(k => k.PlannedAt),
            current.ToDictionary(k => k.Project, k => k.Fingerprint, StringComparer.Ordinal),
            [.. current.Where(k => k.Required).Select(k => k.Project).Order(StringComparer.Ordinal)],
            current.Max(k => k.PostedAt)); // GitHub's time of the plan, from the record: the comment's copy can be edited by anyone with write access
        var entries = kept
            .SelectMany(k => k.Approvals.Select(a => (k.Project, Approval: a)))
            .GroupBy(x => (x.Approval.Comment, x.Approval.User, x.Approval.Head))
            .Select(g => new ApprovalEntry(g.Key.Comment, g.Key.User, g.Key.Head, g.ToDictionary(x => x.Project, x => x.Approval.Fingerprint, StringComparer.Ordinal)))
            .OrderBy(e => e.Comment)
            .ToArray();
        return new ApprovalState(plan, entries) { Records = records };
    }

    /// <summary>
    /// Records <paramref name="after"/> with each project lock the PR holds (nothing on the github
    /// backend, whose record is the comment the caller writes). A project not in the plan loses its
    /// state, unless it is recorded on the same head (planned before, failed this time); a newer
    /// head recorded meanwhile by another runner is never overwritten with an older one. Approvals
    /// merge three ways against <paramref name="before"/> (what this run read): what this run added
    /// or removed is applied to the record as it is now, so an approval that another runner
    /// recorded meanwhile is kept.
    /// </summary>
    /// <param name="before">As <see cref="ReadAsync"/> returned it: its lock records are the ones written.</param>
    /// <param name="projects">Names of projects by lock key, for projects whose lock has no state yet.</param>
    public async Task SaveAsync(LockOwner owner, ApprovalState before, ApprovalState after, IEnumerable<Project> projects, CancellationToken cancellationToken)
    {
        if (!locks.KeepsApprovals)
        {
            return;
        }

        var names = projects.DistinctBy(p => (p.Dir, p.Workspace)).ToDictionary(p => (p.Dir, p.Workspace), p => p.Name);
        foreach (var record in before.Records)
        {
            var name = names.GetValueOrDefault((record.Key.Dir, record.Key.Workspace)) ?? Parse(record.Approvals)?.Project ?? (PolicyApproval.IsKey(record.Key) ? PolicyApproval.Item : null);
            if (name is null)
            {
                continue;
            }

            var plan = after.Plan;
            var ours = For(name, after.Entries);
            var removed = For(name, before.Entries).Except(ours).ToArray();
            await locks.UpdateApprovalsAsync(record.Key, owner, current =>
            {
                var now = Parse(current) is { } state && state.Project == name ? state : null;
                if (plan is null || !plan.Fingerprints.TryGetValue(name, out var fingerprint))
                {
                    return now is not null && now.Head == plan?.Head ? current : null; // same head, not planned this time (failed): keeps its plan and approvals
                }

                if (now is not null && now.Head != plan.Head && now.PlannedAt > plan.PlannedAt)
                {
                    return current; // another runner recorded a newer head meanwhile: its state wins
                }

                var theirs = now?.Approvals ?? [];
                var approvals = theirs.Except(removed).Union(ours).Where(a => a.Head == plan.Head).OrderBy(a => a.Comment).ToList();
                var postedAt = plan.PostedAt ?? (now?.Head == plan.Head ? now.PostedAt : null);
                return JsonSerializer.Serialize(new ProjectApprovals(name, plan.Head, plan.PlannedAt, fingerprint, plan.Required.Contains(name), approvals, postedAt), LedgerJson.Default.ProjectApprovals);
            }, cancellationToken).ConfigureAwait(false); // NotOwner: the lock went (released, or unlocked meanwhile), and its approvals with it
        }
    }

    /// <summary>
    /// Records GitHub's time of <paramref name="head"/>'s plan (<paramref name="postedAt"/>, unix seconds)
    /// in each record of <paramref name="state"/> that holds that head's plan and no time yet: the first
    /// time stands, so nothing later (a re-plan, an edited comment) moves it past approvals already given.
    /// Nothing on the github backend, whose record is the comment.
    /// </summary>
    public async Task RecordPostedAtAsync(LockOwner owner, ApprovalState state, string head, long postedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!locks.KeepsApprovals)
        {
            return;
        }

        foreach (var record in state.Records)
        {
            await locks.UpdateApprovalsAsync(record.Key, owner, current =>
                Parse(current) is { } recorded && recorded.Head == head && recorded.PostedAt is null
                    ? JsonSerializer.Serialize(recorded with { PostedAt = postedAt }, LedgerJson.Default.ProjectApprovals)
                    : current, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ProjectApproval[] For(string project, IReadOnlyList<ApprovalEntry> entries) =>
        [.. entries.Where(e => e.Fingerprints.ContainsKey(project)).Select(e => new ProjectApproval(e.Comment, e.User, e.Head, e.Fingerprints[project]))];

    /// <summary>Who approved the plan a lock record holds (its head and fingerprint), for `planbot locks list`; empty when none did or there is no state.</summary>
    public static IReadOnlyList<string> ApprovedBy(string? recordState) =>
        Parse(recordState) is { } state
            ? [.. state.Approvals.Where(a => a.Head == state.Head && a.Fingerprint == state.Fingerprint).Select(a => a.User).Distinct(StringComparer.OrdinalIgnoreCase)]
            : [];

    /// <summary>A record's state; null when there is none or it is not PlanBot's (a hand-edited item counts as no approval, never as a crash).</summary>
    private static ProjectApprovals? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, LedgerJson.Default.ProjectApprovals) is { Project: not null, Head: not null, Fingerprint: not null, Approvals: not null } state ? state : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What one project lock record holds: the project's current plan and the approvals of it.</summary>
/// <param name="PostedAt">GitHub's time of the plan comment that first showed this head's plan (unix seconds); null in records written before it was kept here.</param>
internal sealed record ProjectApprovals(string Project, string Head, long PlannedAt, string Fingerprint, bool Required, List<ProjectApproval> Approvals, long? PostedAt = null);

/// <summary>One approval of one project's plan: the <c>/planbot approve</c> comment, its author, the head and the fingerprint approved.</summary>
internal sealed record ProjectApproval(long Comment, string User, string Head, string Fingerprint);
