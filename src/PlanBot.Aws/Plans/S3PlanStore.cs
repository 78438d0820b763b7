using Amazon.S3;
using Amazon.S3.Model;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;

namespace PlanBot.Aws.Plans;

/// <summary>Settings of the <c>s3</c> plan store.</summary>
public sealed record S3PlanStoreOptions
{
    public required string Bucket { get; init; }
    public string Prefix { get; init; } = "planbot/";
    /// <summary>Server-side encryption: <c>AES256</c>, <c>aws:kms</c> (with <see cref="KmsKeyId"/>), or null for the bucket default.</summary>
    public string? ServerSideEncryption { get; init; } = "AES256";
    public string? KmsKeyId { get; init; }
}

/// <summary>
/// The <c>s3</c> plan store: one sealed object per plan (SHA-256 inside, client-side AES-GCM with
/// PLANBOT_PLAN_KEY), server-side encryption as configured. Uploads are sent unchunked and without
/// trailing checksums, which S3-compatible servers store literally otherwise.
/// </summary>
public sealed class S3PlanStore(IAmazonS3 client, S3PlanStoreOptions options, byte[]? key) : IPlanStore
{
    public async Task PutAsync(PlanKey planKey, StoredPlan plan, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(PlanEnvelope.Seal(plan, key, planKey));
        var request = new PutObjectRequest
        {
            BucketName = options.Bucket,
            Key = ObjectKey(planKey),
            InputStream = body,
            ContentType = "application/octet-stream",
            UseChunkEncoding = false,
        };
        if (options.ServerSideEncryption is { } sse)
        {
            request.ServerSideEncryptionMethod = new ServerSideEncryptionMethod(sse);
            request.ServerSideEncryptionKeyManagementServiceKeyId = options.KmsKeyId;
        }

        await client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<StoredPlan?> GetAsync(PlanKey planKey, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.GetObjectAsync(options.Bucket, ObjectKey(planKey), cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return PlanEnvelope.Open(buffer.ToArray(), key, $"s3://{options.Bucket}/{ObjectKey(planKey)}", planKey);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<int> DeletePullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken)
    {
        var prefix = options.Prefix + new PlanKey(repo, pullRequest, "x", "x").PullRequestPrefix;
        var deleted = 0;
        string? token = null;
        do
        {
            var page = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = options.Bucket, Prefix = prefix, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
            {
                await client.DeleteObjectAsync(options.Bucket, item.Key, cancellationToken).ConfigureAwait(false);
                deleted++;
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        return deleted;
    }

    public string ObjectKey(PlanKey planKey) => options.Prefix + planKey.Name;
}
