using Amazon.DynamoDBv2;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Queues;
using PlanBot.Aws.Locks;
using PlanBot.Azure.Queues;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Core.Common;

namespace PlanBot.Hosting;

/// <summary>What N replicas of `planbot serve` share: the queue and the lease store, with the lease store's readiness check.</summary>
public sealed record ServiceQueueParts(IMessageQueue Queue, ILeaseStore Leases, Func<CancellationToken, Task> PingLeases);

/// <summary>
/// Builds the shared queue (Azure Queue Storage or Amazon SQS) and lease store from PLANBOT_QUEUE_BACKEND, PLANBOT_QUEUE_URL and
/// PLANBOT_LEASE_TABLE; null for the embedded SQLite queue. Every bad value is a usage error naming
/// the variable and the fix, raised at start (the service does not half-start).
/// </summary>
public static class ServiceQueues
{
    /// <exception cref="UsageException">A setting is missing or malformed.</exception>
    public static ServiceQueueParts? Create(PlanBotSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var service = settings.Service;
        if (service.QueueBackend == "sqlite")
        {
            return null;
        }

        IMessageQueue queue = service.QueueBackend switch
        {
            "azure" => new AzureMessageQueue(Queue(QueueUrl(service, "https://myaccount.queue.core.windows.net/planbot"), settings)),
            "sqs" => SqsQueue.Create(QueueUrl(service, "https://sqs.eu-west-1.amazonaws.com/123456789012/planbot"), settings.Cloud.AwsRegion),
            _ => throw new UsageException($"PLANBOT_QUEUE_BACKEND={service.QueueBackend}: write sqlite (one replica, the default), azure (Azure Queue Storage) or sqs (Amazon SQS), the last two for N replicas"),
        };
        var table = service.LeaseTable ?? throw new UsageException(
            "PLANBOT_LEASE_TABLE is not set: replicas on a shared queue keep their per-PR leases and seen delivery ids in a DynamoDB table (hash key LockID, string); name it (the lock table may be it)");
        var leases = Leases(table, service.LeaseEndpoint, settings, time);
        return new ServiceQueueParts(queue, leases, leases.PingAsync);
    }

    private static Uri QueueUrl(ServiceSettings service, string example) =>
        service.QueueUrl is { } text && Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed.Scheme is "https" or "http" && parsed.AbsolutePath.Trim('/').Length > 0 ? parsed
            : throw new UsageException($"PLANBOT_QUEUE_URL={service.QueueUrl ?? "(unset)"}: PLANBOT_QUEUE_BACKEND={service.QueueBackend} needs the queue's URL, e.g. {example}");

    private static QueueClient Queue(Uri url, PlanBotSettings settings)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        if (settings.Cloud.AzureStorageKey is { } key)
        {
            var account = new QueueUriBuilder(url).AccountName;
            try
            {
                return new QueueClient(url, new StorageSharedKeyCredential(account, key), options);
            }
            catch (FormatException e)
            {
                throw new UsageException("AZURE_STORAGE_KEY is not a base64 storage account key: copy key1 or key2 from the storage account's Access keys", e);
            }
        }

        return url.Scheme == "https" ? new QueueClient(url, new DefaultAzureCredential(), options)
            : throw new UsageException($"PLANBOT_QUEUE_URL {url} is http, and Azure.Identity credentials are only sent over https: use https, or set AZURE_STORAGE_KEY (an account key, as for Azurite)");
    }

    private static DynamoDbLeaseStore Leases(string table, string? endpoint, PlanBotSettings settings, TimeProvider time)
    {
        var config = new AmazonDynamoDBConfig();
        if (settings.Cloud.AwsRegion is { } region)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }

        if (endpoint is not null)
        {
            config.ServiceURL = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? endpoint
                : throw new UsageException($"PLANBOT_LEASE_ENDPOINT={endpoint}: write a DynamoDB endpoint URL, e.g. http://127.0.0.1:8000 (unset it for AWS)");
        }

        return new DynamoDbLeaseStore(new AmazonDynamoDBClient(config), table, time);
    }
}
