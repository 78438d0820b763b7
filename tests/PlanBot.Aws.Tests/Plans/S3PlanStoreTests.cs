using Amazon.S3.Model;
using PlanBot.Aws.Plans;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Aws.Tests.Plans;

/// <summary>The plan store contract on S3 (s3rver), one fresh bucket per test.</summary>
public sealed class S3PlanStoreTests : KeyBoundPlanStoreContract
{
    private readonly S3PlanStoreOptions _options = new() { Bucket = AwsClients.UniqueName("plans"), ServerSideEncryption = null };

    public S3PlanStoreTests()
    {
        using var client = AwsClients.S3();
        client.PutBucketAsync(_options.Bucket).GetAwaiter().GetResult();
    }

    protected override IPlanStore CreateStore(byte[]? key) => new S3PlanStore(AwsClients.S3(), _options, key);

    protected override async Task<byte[]> ReadRawAsync(PlanKey key)
    {
        using var client = AwsClients.S3();
        using var response = await client.GetObjectAsync(_options.Bucket, Store.ObjectKey(key));
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    protected override async Task WriteRawAsync(PlanKey key, byte[] bytes)
    {
        using var client = AwsClients.S3();
        await client.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = Store.ObjectKey(key), InputStream = new MemoryStream(bytes), UseChunkEncoding = false });
    }

    private S3PlanStore Store => new(AwsClients.S3(), _options, null);
}
