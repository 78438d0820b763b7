using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using PlanBot.Aws.Queues;
using PlanBot.Testing;

namespace PlanBot.Aws.Tests;

/// <summary>SDK clients pointed at dynalite, s3rver and local-aws-sqs on loopback.</summary>
internal static class AwsClients
{
    private static readonly BasicAWSCredentials Credentials = new("S3RVER", "S3RVER");

    public static AmazonDynamoDBClient DynamoDb() =>
        new(Credentials, new AmazonDynamoDBConfig { ServiceURL = TestServers.DynamoDb, AuthenticationRegion = "us-east-1" });

    public static AmazonS3Client S3() => new(Credentials, new AmazonS3Config
    {
        ServiceURL = TestServers.S3,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        // s3rver stores the chunked/checksummed body literally; real S3 does not need these.
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public static AmazonSQSClient Sqs(string endpoint) => new(Credentials, new AmazonSQSConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    /// <summary>A new standard queue on the SQS emulator at <paramref name="endpoint"/>.</summary>
    public static async Task<SqsMessageQueue> SqsQueueAsync(string endpoint)
    {
        var client = Sqs(endpoint);
        var url = (await client.CreateQueueAsync(UniqueName("q"))).QueueUrl;
        return new SqsMessageQueue(client, new Uri(url));
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];
}
