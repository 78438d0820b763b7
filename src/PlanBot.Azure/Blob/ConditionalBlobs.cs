using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace PlanBot.Azure.Blob;

/// <summary>A blob read back: its bytes and ETag.</summary>
internal sealed record BlobObject(byte[] Content, ETag ETag);

/// <summary>A blob as a listing shows it: its name and metadata.</summary>
internal sealed record BlobListing(string Name, IDictionary<string, string> Metadata);

/// <summary>
/// The few Blob Storage operations the stores need, over Azure.Storage.Blobs. The SDK throws
/// for a failed condition; the stores retry on it, so here it is an answer: null or false.
/// The SDK reports "the condition failed" three ways: 412 (If-Match, lease id), 409
/// <c>BlobAlreadyExists</c> for a create-only upload (If-None-Match: *) on an existing blob, and
/// 409 for a lease another holds; and a conditional delete of a blob already gone is 412, not 404.
/// </summary>
internal static class ConditionalBlobs
{
    public static async Task<BlobObject?> ReadAsync(this BlobContainerClient container, string blob, CancellationToken cancellationToken)
    {
        try
        {
            var result = await container.GetBlobClient(blob).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return new BlobObject(result.Value.Content.ToArray(), result.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode != BlobErrorCode.ContainerNotFound)
        {
            return null;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            throw NoContainer(container, e);
        }
    }

    /// <summary>Writes a block blob: create-only, or only at <paramref name="ifMatch"/>, or under <paramref name="leaseId"/>. Null when the condition failed.</summary>
    /// <param name="metadata">Name/value pairs (lowercase ASCII names, ASCII values) that <see cref="ListAsync"/> returns without reading the blob.</param>
    public static async Task<ETag?> WriteAsync(this BlobContainerClient container, string blob, byte[] content, bool createOnly, ETag? ifMatch, string? leaseId, CancellationToken cancellationToken, IDictionary<string, string>? metadata = null)
    {
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
            Metadata = metadata,
            Conditions = new BlobRequestConditions { IfNoneMatch = createOnly ? ETag.All : null, IfMatch = ifMatch, LeaseId = leaseId },
        };
        try
        {
            var written = await container.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(content), options, cancellationToken).ConfigureAwait(false);
            return written.Value.ETag;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            throw NoContainer(container, e);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Deletes a blob (only at <paramref name="ifMatch"/> when given); false when the condition failed or it is gone.</summary>
    public static async Task<bool> DeleteAsync(this BlobContainerClient container, string blob, ETag? ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            var conditions = ifMatch is null ? null : new BlobRequestConditions { IfMatch = ifMatch };
            var deleted = await container.GetBlobClient(blob).DeleteIfExistsAsync(DeleteSnapshotsOption.None, conditions, cancellationToken).ConfigureAwait(false);
            return deleted.Value;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            throw NoContainer(container, e);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false; // changed since read, leased, or (conditional delete) already gone
        }
    }

    /// <summary>The blobs under a prefix with their metadata, all pages.</summary>
    public static async Task<IReadOnlyList<BlobListing>> ListAsync(this BlobContainerClient container, string prefix, CancellationToken cancellationToken)
    {
        var listed = new List<BlobListing>();
        try
        {
            await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = prefix }, cancellationToken).ConfigureAwait(false))
            {
                listed.Add(new BlobListing(item.Name, item.Metadata ?? new Dictionary<string, string>()));
            }
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            throw NoContainer(container, e);
        }

        return listed;
    }

    /// <summary>Acquires (with our own lease id), renews or releases a lease; false when another lease holds the blob or ours is gone (409/412).</summary>
    public static async Task<bool> LeaseAsync(this BlobContainerClient container, string blob, LeaseAction action, string leaseId, TimeSpan duration, CancellationToken cancellationToken)
    {
        var lease = container.GetBlobClient(blob).GetBlobLeaseClient(leaseId);
        try
        {
            if (action == LeaseAction.Acquire)
            {
                // Whole seconds, as Blob Storage takes them (the SDK would round up a fraction).
                await lease.AcquireAsync(TimeSpan.FromSeconds((int)duration.TotalSeconds), null, cancellationToken).ConfigureAwait(false);
            }
            else if (action == LeaseAction.Renew)
            {
                await lease.RenewAsync(null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await lease.ReleaseAsync(null, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    private static InvalidOperationException NoContainer(BlobContainerClient container, RequestFailedException e) =>
        new($"Blob container '{container.Name}' does not exist at {container.Uri}: create it (`az storage container create --account-name {container.AccountName} --name {container.Name}`) or fix `container` in planbot.yaml", e);
}

internal enum LeaseAction
{
    Acquire,
    Renew,
    Release,
}
