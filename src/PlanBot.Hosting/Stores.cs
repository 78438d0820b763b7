using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using PlanBot.Aws.Locks;
using PlanBot.Aws.Plans;
using PlanBot.Azure.Locks;
using PlanBot.Azure.Plans;
using PlanBot.Core.Config;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Locks;
using PlanBot.Local.Locks;
using PlanBot.Local.Plans;

namespace PlanBot.Hosting;

/// <summary>
/// Chooses the lock store and plan store from <c>locks.backend</c> / <c>plans.store</c> and their
/// sections. Credentials come from the environment, never from planbot.yaml: the AWS default chain
/// (AWS_ACCESS_KEY_ID, profiles, OIDC web identity, instance roles) and, for Azure, an account key
/// in AZURE_STORAGE_KEY (read by <see cref="PlanBotSettings"/>) or else any Azure.Identity credential
/// (DefaultAzureCredential). The default lock backend is decided here, once, by the host: the Action
/// keeps locks in GitHub (a runner keeps no disk), the service and the CLI in local SQLite.
/// </summary>
public sealed class Stores(PlanBotSettings settings, TimeProvider time, Func<IVcs>? github = null) : IStores
{
    public string LocksBackend(PlanBotConfig config) =>
        settings.Host == PlanBotHost.Action && !config.LocksBackendChosen ? "github" : config.LocksBackend;

    public ILockStore Locks(PlanBotConfig config) =>
        Locks(config with { LocksBackend = LocksBackend(config) }, settings, time, github?.Invoke(), diskPerRun: settings.Host == PlanBotHost.Action);

    public IPlanStore Plans(PlanBotConfig config) => Plans(config, settings);

    public IApprovalStore Approvals(ILockStore locks) =>
        locks as IApprovalStore ?? throw new InvalidOperationException($"{locks.GetType().Name} does not implement IApprovalStore: every lock backend says where its approvals are kept");

    /// <exception cref="ConfigException">The backend cannot be used here.</exception>
    /// <param name="github">The GitHub client, when running against GitHub (Action mode or the service).</param>
    /// <param name="diskPerRun">The data dir does not outlive the run (GitHub Actions): a <c>local</c> lock file then cannot be
    /// the record of approvals, so they stay in the PR comment as with the github backend.</param>
    public static ILockStore Locks(PlanBotConfig config, PlanBotSettings settings, TimeProvider time, IVcs? github = null, bool diskPerRun = false) => config.LocksBackend switch
    {
        "dynamodb" => new DynamoDbLockStore(DynamoDb(config.Backends["locks.dynamodb"], settings), config.Backends["locks.dynamodb"]["table"]!, time),
        "azure" => new BlobLockStore(Container(config.Backends["locks.azure"], settings), time),
        "github" when github is not null => new CommentLockStore(github, time),
        "github" => throw new ConfigException([new ConfigError(config.SourceFile ?? "planbot.yaml", 1, 1,
            "locks.backend 'github' keeps locks in PlanBot's PR comments and is only available to `planbot run` in GitHub Actions; use local, dynamodb or azure here")]),
        _ => new SqliteLockStore(Path.Combine(settings.DataDir, "state", "locks.db"), time, keepsApprovals: !diskPerRun),
    };

    /// <exception cref="ArgumentException">PLANBOT_PLAN_KEY is set but not a 32-byte base64 key.</exception>
    public static IPlanStore Plans(PlanBotConfig config, PlanBotSettings settings)
    {
        var key = PlanEnvelope.KeyFrom(settings.PlanKey);
        return config.PlansStore switch
        {
            "s3" => S3Plans(config.Backends["plans.s3"], key, settings),
            "azure" => new BlobPlanStore(Container(config.Backends["plans.azure"], settings), key),
            _ => new LocalPlanStore(Path.Combine(settings.DataDir, "plans"), key),
        };
    }

    private static S3PlanStore S3Plans(BackendSettings s3, byte[]? key, PlanBotSettings settings)
    {
        var options = new AmazonS3Config { RegionEndpoint = Region(s3, settings) };
        if (s3["endpoint"] is { } endpoint)
        {
            // S3-compatible servers (MinIO, s3rver): path-style, and no trailing checksums they would store literally.
            options.ServiceURL = endpoint;
            options.ForcePathStyle = true;
            options.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            options.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        var sse = s3["sse"] switch { null => "AES256", "none" => null, var v => v };
        return new S3PlanStore(new AmazonS3Client(options), new S3PlanStoreOptions { Bucket = s3["bucket"]!, Prefix = s3["prefix"] ?? "planbot/", ServerSideEncryption = sse, KmsKeyId = s3["kms_key_id"] }, key);
    }

    private static AmazonDynamoDBClient DynamoDb(BackendSettings dynamo, PlanBotSettings settings)
    {
        var options = new AmazonDynamoDBConfig { RegionEndpoint = Region(dynamo, settings) };
        if (dynamo["endpoint"] is { } endpoint)
        {
            options.ServiceURL = endpoint;
        }

        return new AmazonDynamoDBClient(options);
    }

    private static RegionEndpoint? Region(BackendSettings backend, PlanBotSettings settings) =>
        (backend["region"] ?? settings.Cloud.AwsRegion) is { Length: > 0 } region
            ? RegionEndpoint.GetBySystemName(region)
            : null;

    /// <summary>
    /// The container, authenticated by AZURE_STORAGE_CONNECTION_STRING when set (it names its own endpoint),
    /// else the account key in AZURE_STORAGE_KEY, else DefaultAzureCredential. Bad values are errors naming the variable.
    /// </summary>
    private static BlobContainerClient Container(BackendSettings azure, PlanBotSettings settings)
    {
        var account = azure["account"]!;
        var container = azure["container"]!;
        if (settings.Cloud.AzureStorageConnectionString is { } connectionString)
        {
            BlobContainerClient client;
            try
            {
                client = new BlobContainerClient(connectionString, container);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new ArgumentException("AZURE_STORAGE_CONNECTION_STRING is not a storage connection string (DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...): copy it from the storage account's Access keys, or unset it to use AZURE_STORAGE_KEY or an Azure.Identity credential", e);
            }

            // One lock store for every runner: a connection string for another account would silently split it.
            return client.AccountName is { Length: > 0 } named && !string.Equals(named, account, StringComparison.OrdinalIgnoreCase)
                ? throw new ArgumentException($"AZURE_STORAGE_CONNECTION_STRING is for storage account '{named}' but planbot.yaml names account '{account}': use that account's connection string or fix `account`")
                : client;
        }

        var endpoint = azure["endpoint"] ?? $"https://{account}.blob.core.windows.net";
        if (!Uri.TryCreate(endpoint.TrimEnd('/') + "/" + Uri.EscapeDataString(container), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"azure endpoint '{endpoint}' is not an http(s) URL: write it like https://{account}.blob.core.windows.net (or Azurite's http://127.0.0.1:10000/devstoreaccount1)");
        }

        if (settings.Cloud.AzureStorageKey is { } accountKey)
        {
            try
            {
                return new BlobContainerClient(uri, new StorageSharedKeyCredential(account, accountKey));
            }
            catch (FormatException e)
            {
                throw new ArgumentException("AZURE_STORAGE_KEY is not a base64 storage account key: copy key1 or key2 from the storage account's Access keys", e);
            }
        }

        // The SDK sends bearer tokens over https only.
        return uri.Scheme == "https"
            ? new BlobContainerClient(uri, new DefaultAzureCredential())
            : throw new ArgumentException($"azure endpoint '{endpoint}' is http, and Azure.Identity credentials are only sent over https: use an https endpoint, or set AZURE_STORAGE_KEY (an account key, as for Azurite over http)");
    }
}
