namespace PlanBot.Core.Ports;

/// <summary>
/// Leases with fencing tokens, and a record of seen ids, shared by the service's replicas (DynamoDB,
/// or SQLite for replicas on one machine). A lease orders one key's work across replicas (one PR's
/// deliveries run one at a time); its token grows by one at every new holder, and a holder's
/// <see cref="RenewAsync"/> fails once a newer holder took over: a stale replica (paused, partitioned,
/// its lease expired) learns it before its next write instead of overwriting newer work.
/// Its own port rather than new <see cref="ILockStore"/> members, so lock-store fakes stay as they are.
/// </summary>
public interface ILeaseStore
{
    /// <summary>The lease, when it is free or expired (a new token) or already <paramref name="holder"/>'s (the same token); null when another holder's lease is live.</summary>
    Task<Lease?> TryAcquireAsync(string key, string holder, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Extends the lease when it is still this one (key and token); false when a newer holder has it: write nothing more.</summary>
    Task<bool> RenewAsync(Lease lease, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Ends the lease when it is still this one; the token stays, so the next holder's is greater.</summary>
    Task ReleaseAsync(Lease lease, CancellationToken cancellationToken);

    /// <summary>Records <paramref name="id"/> for <paramref name="keep"/>; false when it was recorded before (and not yet expired).</summary>
    Task<bool> TryRecordAsync(string id, TimeSpan keep, CancellationToken cancellationToken);

    Task<bool> IsRecordedAsync(string id, CancellationToken cancellationToken);

    /// <summary>Forgets a recorded id (a delivery that could not be queued, or was parked, may come again).</summary>
    Task ForgetAsync(string id, CancellationToken cancellationToken);
}

/// <param name="Token">The fencing token: greater for every new holder of <paramref name="Key"/>.</param>
public sealed record Lease(string Key, string Holder, long Token, DateTimeOffset Expires);

/// <summary>The decision every lease backend makes before its atomic write.</summary>
public static class LeaseRules
{
    /// <summary>The lease to write over <paramref name="current"/> (null: none yet), or null when another holder's live lease stops <paramref name="holder"/>.</summary>
    public static Lease? Take(Lease? current, string key, string holder, DateTimeOffset now, TimeSpan ttl) =>
        current is null ? new Lease(key, holder, 1, now + ttl)
        : current.Expires > now && current.Holder != holder ? null
        : current.Expires > now ? current with { Expires = now + ttl }
        : new Lease(key, holder, current.Token + 1, now + ttl);
}
