using PlanBot.Core.Config;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Hosting;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

/// <summary>
/// How planbot.yaml's <c>azure</c> sections and the environment's credentials become a container.
/// </summary>
public sealed class AzureStoreChoiceTests
{
    private static readonly LockKey Key = new(LockKind.Project, "acme/infra", "app", "default");
    private static readonly LockOwner Owner = new("acme/infra", 1, "a", "u", "r");

    [Fact]
    public async Task A_connection_string_names_endpoint_and_key()
    {
        var container = AzuriteContainers.Create();
        var connection = $"DefaultEndpointsProtocol=http;AccountName={TestServers.AzuriteAccount};AccountKey={TestServers.AzuriteKey};BlobEndpoint={TestServers.Azurite};";
        var config = Config(TestServers.AzuriteAccount, container.Name, endpoint: "https://unused.example");

        var (locks, plans) = (Stores.Locks(config, Settings(connection, null), TimeProvider.System), Stores.Plans(config, Settings(connection, null)));

        (await locks.AcquireAsync(Key, Owner, TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        await plans.PutAsync(new PlanKey("acme/infra", 1, "abc", "app"), new StoredPlan([1, 2, 3], "{}"), CancellationToken.None);
        (await container.GetBlobsAsync().ToListAsync()).Select(b => b.Name.Split('/')[0]).Distinct().Order().ShouldBe(["locks", "plans"]);
    }

    [Fact]
    public async Task An_account_key_signs_requests_to_the_configured_endpoint()
    {
        var container = AzuriteContainers.Create();
        var config = Config(TestServers.AzuriteAccount, container.Name, endpoint: TestServers.Azurite);

        var locks = Stores.Locks(config, Settings(null, TestServers.AzuriteKey), TimeProvider.System);

        (await locks.AcquireAsync(Key, Owner, TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        (await container.GetBlobsAsync().ToListAsync()).Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("AccountName=someoneelse;AccountKey=" + TestServers.AzuriteKey + ";DefaultEndpointsProtocol=https;EndpointSuffix=core.windows.net", null, "is for storage account 'someoneelse' but planbot.yaml names account 'acmetfstate'")]
    [InlineData("this is not one", null, "AZURE_STORAGE_CONNECTION_STRING is not a storage connection string")]
    [InlineData(null, "not base64!", "AZURE_STORAGE_KEY is not a base64 storage account key")]
    public void A_bad_credential_is_an_error_naming_the_variable_and_the_fix(string? connection, string? key, string error)
    {
        var config = Config("acmetfstate", "planbot", endpoint: null);

        var thrown = Should.Throw<ArgumentException>(() => Stores.Locks(config, Settings(connection, key), TimeProvider.System));

        thrown.Message.ShouldContain(error);
    }

    [Fact]
    public void An_identity_credential_is_refused_an_http_endpoint_before_any_token_is_sent()
    {
        var config = Config(TestServers.AzuriteAccount, "planbot", endpoint: TestServers.Azurite);

        var thrown = Should.Throw<ArgumentException>(() => Stores.Locks(config, Settings(null, null), TimeProvider.System));

        thrown.Message.ShouldContain("is http, and Azure.Identity credentials are only sent over https");
    }


    private static PlanBotConfig Config(string account, string container, string? endpoint)
    {
        var settings = new Dictionary<string, string> { ["account"] = account, ["container"] = container };
        if (endpoint is not null)
        {
            settings["endpoint"] = endpoint;
        }

        return new PlanBotConfig
        {
            LocksBackend = "azure",
            PlansStore = "azure",
            Backends = new Dictionary<string, BackendSettings> { ["locks.azure"] = new(settings), ["plans.azure"] = new(settings) },
        };
    }

    /// <summary>The credentials as PlanBotSettings reads them from the environment, without touching the process's environment.</summary>
    private static PlanBotSettings Settings(string? connectionString, string? accountKey) => new()
    {
        DataDir = "/nonexistent",
        Cloud = new CloudSettings { AzureStorageConnectionString = connectionString, AzureStorageKey = accountKey },
    };
}
