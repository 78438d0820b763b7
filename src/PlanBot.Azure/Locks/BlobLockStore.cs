using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using PlanBot.Azure.Blob;
using PlanBot.Core.Ports;

namespace PlanBot.Azure.Locks;

/// <summary>
/// The <c>azure</c> lock backend, one blob per lock under <c>locks/</c>. Project locks are JSON
/// records written with conditional create (<c>If-None-Match: *</c>) and compare-and-swap on the
/// ETag (<c>If-Match</c>), so takeovers of expired locks cannot race. Run locks are blob leases
/// (15–60 s, renewed by re-acquiring with the same lease id, derived from the run): if the runner
/// dies, Azure itself ends the lease.
/// </summary>
public sealed class BlobLockStore(BlobContainerClient container, TimeProvider time) : ILockStore, IApprovalStore
{
    private const int Attempts = 8;

    /// <summary>Each lock blob names its repository in its metadata, so listing one repository's locks reads only its blobs.</summary>
    private const string RepoMetadata = "planbotrepo";

    public async Task<LockResult> AcquireAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken) =>
        key.Kind == LockKind.Run ? await AcquireRunAsync(key, owner, ttl, cancellationToken).ConfigureAwait(false) : await AcquireProjectAsync(key, owner, ttl, cancellationToken).ConfigureAwait(false);

    public async Task<LockResult> ReleaseAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (current, etag) = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            if (LockOwnership.Refuses(current, key, owner, Now(key), out var refused))
            {
                return refused;
            }

            if (key.Kind == LockKind.Run)
            {
                await container.LeaseAsync(BlobName(key), LeaseAction.Release, LeaseId(owner), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                await container.DeleteAsync(BlobName(key), null, cancellationToken).ConfigureAwait(false);
                return new LockResult.Released();
            }

            if (await container.DeleteAsync(BlobName(key), etag, cancellationToken).ConfigureAwait(false) || attempt >= Attempts)
            {
                return new LockResult.Released();
            }
        }
    }

    public async Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken)
    {
        var result = new List<LockRecord>();
        foreach (var listed in await container.ListAsync("locks/", cancellationToken).ConfigureAwait(false))
        {
            if (repo is not null && RepoOf(listed) is { } of && of != repo)
            {
                continue; // another repository's lock: not read
            }

            if (await container.ReadAsync(listed.Name, cancellationToken).ConfigureAwait(false) is { } blob && Parse(blob.Content) is { } record &&
                record.Expires > time.GetUtcNow() && (repo is null || record.Key.Repo == repo))
            {
                result.Add(record);
            }
        }

        return [.. result.OrderBy(r => r.Key.Id, StringComparer.Ordinal)];
    }

    private async Task<LockResult> AcquireProjectAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (current, etag) = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var taken = LockOwnership.Take(current, key, owner, now, ttl);
            if (taken is not LockResult.Acquired { Lock: var record })
            {
                return taken;
            }
            var written = await container.WriteAsync(BlobName(key), Serialize(record), createOnly: etag is null, etag, null, cancellationToken, Metadata(key)).ConfigureAwait(false);
            if (written is not null)
            {
                return taken;
            }

            if (attempt >= Attempts)
            {
                return current is null ? new LockResult.HeldBy(owner, now, now) : new LockResult.HeldBy(current.Owner, current.Since, current.Expires);
            }
        }
    }

    public bool KeepsApprovals => true;

    public async Task<LockResult> UpdateApprovalsAsync(LockKey key, LockOwner owner, Func<string?, string?> update, CancellationToken cancellationToken)
    {
        if (key.Kind == LockKind.Run)
        {
            throw new ArgumentException("approvals are kept with project locks, not run locks", nameof(key));
        }

        for (var attempt = 0; ; attempt++)
        {
            var (current, etag) = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            if (LockOwnership.Refuses(current, key, owner, time.GetUtcNow(), out var refused))
            {
                return refused;
            }

            var record = current with { Approvals = update(current.Approvals) };
            if (await container.WriteAsync(BlobName(key), Serialize(record), createOnly: false, etag, null, cancellationToken, Metadata(key)).ConfigureAwait(false) is not null)
            {
                return new LockResult.Acquired(record);
            }

            if (attempt >= Attempts)
            {
                throw new InvalidOperationException($"{key.Id}: another writer got in first {Attempts + 1} times in a row; nothing was changed, try again");
            }
        }
    }

    private async Task<LockResult> AcquireRunAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var name = BlobName(key);
        var lease = TimeSpan.FromSeconds(Math.Clamp(ttl.TotalSeconds, 15, 60)); // what Blob Storage allows for a finite lease
        var leaseId = LeaseId(owner);
        await container.WriteAsync(name, [], createOnly: true, null, null, cancellationToken, Metadata(key)).ConfigureAwait(false); // the blob a lease needs
        if (!await container.LeaseAsync(name, LeaseAction.Acquire, leaseId, lease, cancellationToken).ConfigureAwait(false) &&
            !await container.LeaseAsync(name, LeaseAction.Renew, leaseId, lease, cancellationToken).ConfigureAwait(false))
        {
            var (current, _) = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            return current is null ? new LockResult.HeldBy(owner with { User = "(unknown)", RunId = "(unknown)" }, now, now + lease) : new LockResult.HeldBy(current.Owner, current.Since, current.Expires);
        }

        var since = time.GetUtcNow();
        var record = new LockRecord(key, owner, since, since + lease);
        await container.WriteAsync(name, Serialize(record), createOnly: false, null, leaseId, cancellationToken, Metadata(key)).ConfigureAwait(false);
        return new LockResult.Acquired(record);
    }

    /// <summary>Run locks expire by the lease (Azure's clock), project locks by their record (ours).</summary>
    private DateTimeOffset Now(LockKey key) => key.Kind == LockKind.Run ? DateTimeOffset.MinValue : time.GetUtcNow();

    private async Task<(LockRecord? Record, ETag? ETag)> ReadAsync(LockKey key, CancellationToken cancellationToken)
    {
        var blob = await container.ReadAsync(BlobName(key), cancellationToken).ConfigureAwait(false);
        return blob is null ? (null, null) : (Parse(blob.Content), blob.ETag);
    }

    /// <summary>The repository a listed lock blob names; null for blobs written before locks carried it (read to find out).</summary>
    private static string? RepoOf(BlobListing listed) =>
        listed.Metadata.FirstOrDefault(m => string.Equals(m.Key, RepoMetadata, StringComparison.OrdinalIgnoreCase)).Value;

    private static Dictionary<string, string> Metadata(LockKey key) => new(StringComparer.Ordinal) { [RepoMetadata] = key.Repo };

    private static string BlobName(LockKey key) => "locks/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.Id)))[..40];

    /// <summary>A lease id of the run's own (a GUID from its identity), so the same run renews and releases without storing it.</summary>
    private static string LeaseId(LockOwner owner) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{owner.Repo}\n{owner.PullRequest}\n{owner.RunId}"))[..16]).ToString();

    private static byte[] Serialize(LockRecord r) => JsonSerializer.SerializeToUtf8Bytes(new StoredLock(
        r.Key.Kind.ToString(), r.Key.Repo, r.Key.Dir, r.Key.Workspace, r.Owner.Repo, r.Owner.PullRequest, r.Owner.HeadSha, r.Owner.User, r.Owner.RunId,
        r.Since.ToUnixTimeMilliseconds(), r.Expires.ToUnixTimeMilliseconds(), r.Approvals), LockJsonContext.Default.StoredLock);

    private static LockRecord? Parse(byte[] content)
    {
        if (content.Length == 0)
        {
            return null;
        }

        try
        {
            var s = JsonSerializer.Deserialize(content, LockJsonContext.Default.StoredLock);
            return s is null || !Enum.TryParse<LockKind>(s.Kind, out var kind) ? null : new LockRecord(
                new LockKey(kind, s.Repo, s.Dir, s.Workspace),
                new LockOwner(s.OwnerRepo, s.PullRequest, s.HeadSha, s.User, s.RunId),
                DateTimeOffset.FromUnixTimeMilliseconds(s.Since),
                DateTimeOffset.FromUnixTimeMilliseconds(s.Expires),
                s.Approvals);
        }
        catch (JsonException)
        {
            return null; // not ours: never crash on a foreign blob
        }
    }
}

internal sealed record StoredLock(string Kind, string Repo, string Dir, string Workspace, string OwnerRepo, int PullRequest, string HeadSha, string User, string RunId, long Since, long Expires, string? Approvals = null);

[System.Text.Json.Serialization.JsonSerializable(typeof(StoredLock))]
internal sealed partial class LockJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
