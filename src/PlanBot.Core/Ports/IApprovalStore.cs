namespace PlanBot.Core.Ports;

/// <summary>
/// Where a PR's approvals are kept beside its project locks (strict backends: local, dynamodb,
/// azure, whose lock stores implement this too). The github backend keeps none
/// (<see cref="KeepsApprovals"/> false): there PlanBot's own PR comment is the record, re-verified
/// every run. The stored state is opaque JSON owned by <c>Policy.ApprovalRecords</c>.
/// </summary>
public interface IApprovalStore
{
    /// <summary>Whether approvals are kept here (<see cref="UpdateApprovalsAsync"/>); false: in the PR comment.</summary>
    bool KeepsApprovals { get; }

    /// <summary>The unexpired locks, with the approval state each keeps, optionally of one repository.</summary>
    Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken);

    /// <summary>
    /// Rewrites the approval state kept with a live project lock that <paramref name="owner"/>'s PR holds:
    /// <paramref name="update"/> maps the current state (opaque JSON, null for none) to the new one (null
    /// clears it). Atomic: when another writer gets in first, <paramref name="update"/> runs again on its
    /// result, so concurrent approvals are never lost. Renewing the lock keeps the state; releasing it or
    /// a takeover after expiry drops it.
    /// </summary>
    /// <returns><see cref="LockResult.Acquired"/> with the updated record, or <see cref="LockResult.NotOwner"/>.</returns>
    Task<LockResult> UpdateApprovalsAsync(LockKey key, LockOwner owner, Func<string?, string?> update, CancellationToken cancellationToken);
}
