using System.Diagnostics.CodeAnalysis;

namespace PlanBot.Core.Ports;

/// <summary>
/// Project locks (a PR holds <c>repo/dir/workspace</c> from its first plan until merged and applied,
/// closed, or unlocked) and run locks (a short lease while terraform runs, so two runners never run
/// one project at once). Every backend answers with explicit results and never throws for a held lock.
/// </summary>
public interface ILockStore
{
    /// <summary>Takes the lock, or renews it when <paramref name="owner"/> already holds it (keeping its Since).</summary>
    Task<LockResult> AcquireAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Releases the lock when <paramref name="owner"/> holds it; <see cref="LockResult.NotOwner"/> otherwise.</summary>
    Task<LockResult> ReleaseAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken);

    /// <summary>The unexpired locks, optionally of one repository.</summary>
    Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken);

    /// <summary>
    /// Starts, in the background, the reads <paramref name="owner"/>'s coming project-lock
    /// acquisitions will need, so they overlap what the caller does meanwhile (reading the config,
    /// finding the affected projects): the github backend starts its read of the other open PRs' locks.
    /// Only starts reads, never writes, and returns at once without throwing: a failed read is reported
    /// by the acquisition that uses it (which reads again when it finds it already failed), and is
    /// never left an unobserved task exception. Backends with nothing worth reading ahead do nothing.
    /// </summary>
    void Prefetch(LockOwner owner)
    {
    }

    /// <summary>
    /// False where a run lease is not stored (the github backend: each Action run has its own runner, and a
    /// lease answers at once without a write), so taking one can never stand in another run's way. A PR's
    /// run starts <c>terraform init</c> while its project lock is asked only there (issue 19).
    /// </summary>
    bool StoresRunLeases => true;
}

public enum LockKind
{
    Project,
    Run,
}

/// <summary>What is locked: one project of one repository, as a project lock or a run lock.</summary>
public sealed record LockKey(LockKind Kind, string Repo, string Dir, string Workspace)
{
    /// <summary>The stored key; prefixed so it never collides with terraform's own <c>LockID</c> items in a shared table.</summary>
    public string Id => $"planbot:{(Kind == LockKind.Project ? "project" : "run")}:{Repo}/{Dir}/{Workspace}";
}

/// <summary>Who holds a lock: the pull request (and its head SHA) and the run that took it.</summary>
public sealed record LockOwner(string Repo, int PullRequest, string HeadSha, string User, string RunId)
{
    /// <summary>A project lock belongs to the PR (re-planning a new head keeps it); a run lock to one run.</summary>
    public bool Holds(LockKind kind, LockOwner holder) =>
        Repo == holder.Repo && PullRequest == holder.PullRequest && (kind == LockKind.Project || RunId == holder.RunId);
}

/// <param name="Approvals">PlanBot's approval state for the project while this PR holds it (see <see cref="IApprovalStore.UpdateApprovalsAsync"/>).</param>
public sealed record LockRecord(LockKey Key, LockOwner Owner, DateTimeOffset Since, DateTimeOffset Expires, string? Approvals = null);

public abstract record LockResult
{
    public sealed record Acquired(LockRecord Lock) : LockResult;

    public sealed record HeldBy(LockOwner Owner, DateTimeOffset Since, DateTimeOffset Expires) : LockResult;

    public sealed record Released : LockResult;

    /// <summary>Someone else holds it (null when nobody does: releasing a free lock is not an error).</summary>
    public sealed record NotOwner(LockRecord? Current) : LockResult;
}

/// <summary>The decisions every backend makes before writing a lock; the backend only makes the write atomic.</summary>
public static class LockOwnership
{
    /// <summary>
    /// <see cref="LockResult.HeldBy"/> when another owner's live lock stops <paramref name="owner"/>;
    /// otherwise <see cref="LockResult.Acquired"/> with the record to write: a renewal keeps the
    /// lock's Since and its approvals, a free or expired lock starts afresh.
    /// </summary>
    public static LockResult Take(LockRecord? current, LockKey key, LockOwner owner, DateTimeOffset now, TimeSpan ttl) =>
        current is not null && current.Expires > now
            ? owner.Holds(key.Kind, current.Owner)
                ? new LockResult.Acquired(new LockRecord(key, owner, current.Since, now + ttl, current.Approvals))
                : new LockResult.HeldBy(current.Owner, current.Since, current.Expires)
            : new LockResult.Acquired(new LockRecord(key, owner, now, now + ttl));

    /// <summary>Whether <paramref name="owner"/> may not release or update the lock, and why: it is free (absent or expired) or someone else's.</summary>
    public static bool Refuses([NotNullWhen(false)] LockRecord? current, LockKey key, LockOwner owner, DateTimeOffset now, [NotNullWhen(true)] out LockResult.NotOwner? refused)
    {
        refused = current is null || current.Expires <= now ? new LockResult.NotOwner(null)
            : !owner.Holds(key.Kind, current.Owner) ? new LockResult.NotOwner(current)
            : null;
        return refused is not null;
    }
}
