using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

/// <summary>
/// A run lock held while terraform runs on one project: renewed every third of its TTL in the
/// background, released on dispose. If the process dies, renewals stop and the lock expires by
/// itself within <see cref="Ttl"/>, so a crashed runner never blocks a project for long. A lease
/// belongs to its run id (<see cref="LockOwner.Holds"/>): the webhook service gives every attempt of
/// a delivery the same run id, so the re-run after a crash renews its dead run's lease at once.
/// </summary>
public sealed class RunLease : IAsyncDisposable
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);

    private readonly ILockStore _store;
    private readonly LockKey _key;
    private readonly LockOwner _owner;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewing;

    private RunLease(ILockStore store, LockKey key, LockOwner owner, TimeSpan ttl)
    {
        _store = store;
        _key = key;
        _owner = owner;
        _renewing = RenewAsync(ttl);
    }

    /// <summary>The lease, or the holder of another one.</summary>
    public static async Task<(RunLease? Lease, LockResult.HeldBy? Held)> TakeAsync(ILockStore store, LockKey key, LockOwner owner, CancellationToken cancellationToken, TimeSpan? ttl = null)
    {
        var result = await store.AcquireAsync(key, owner, ttl ?? Ttl, cancellationToken).ConfigureAwait(false);
        return result is LockResult.HeldBy held ? (null, held) : (new RunLease(store, key, owner, ttl ?? Ttl), null);
    }

    private async Task RenewAsync(TimeSpan ttl)
    {
        try
        {
            while (true)
            {
                await Task.Delay(ttl / 3, _stop.Token).ConfigureAwait(false);
                await _store.AcquireAsync(_key, _owner, ttl, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // disposed: the run is over
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(false);
        _stop.Dispose();
        await _store.ReleaseAsync(_key, _owner, CancellationToken.None).ConfigureAwait(false);
    }
}
