using PlanBot.Core.Ports;

namespace PlanBot.Testing;

/// <summary>
/// Project and run locks, with the approvals kept beside them, in one dictionary: a strict backend
/// for workflow tests (it passes <see cref="StrictLockStoreContract"/>). Every decision is
/// <see cref="LockOwnership"/>'s, as in the real backends; one lock makes each call atomic.
/// </summary>
public sealed class InMemoryLockStore(TimeProvider? time = null) : ILockStore, IApprovalStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LockRecord> _records = new(StringComparer.Ordinal);

    public bool KeepsApprovals => true;

    public Task<LockResult> AcquireAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var result = LockOwnership.Take(_records.GetValueOrDefault(key.Id), key, owner, _time.GetUtcNow(), ttl);
            if (result is LockResult.Acquired acquired)
            {
                _records[key.Id] = acquired.Lock;
            }

            return Task.FromResult(result);
        }
    }

    public Task<LockResult> ReleaseAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (LockOwnership.Refuses(_records.GetValueOrDefault(key.Id), key, owner, _time.GetUtcNow(), out var refused))
            {
                return Task.FromResult<LockResult>(refused);
            }

            _records.Remove(key.Id);
            return Task.FromResult<LockResult>(new LockResult.Released());
        }
    }

    public Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            return Task.FromResult<IReadOnlyList<LockRecord>>([.. _records.Values.Where(r => r.Expires > now && (repo is null || r.Key.Repo == repo)).OrderBy(r => r.Key.Id, StringComparer.Ordinal)]);
        }
    }

    public Task<LockResult> UpdateApprovalsAsync(LockKey key, LockOwner owner, Func<string?, string?> update, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (LockOwnership.Refuses(_records.GetValueOrDefault(key.Id), key, owner, _time.GetUtcNow(), out var refused))
            {
                return Task.FromResult<LockResult>(refused);
            }

            var updated = _records[key.Id] with { Approvals = update(_records[key.Id].Approvals) };
            _records[key.Id] = updated;
            return Task.FromResult<LockResult>(new LockResult.Acquired(updated));
        }
    }
}
