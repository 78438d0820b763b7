using Azure;
using Azure.Storage.Blobs;
using PlanBot.Azure.Locks;
using PlanBot.Azure.Plans;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

/// <summary>The lock contract with Azure.Identity-style bearer tokens, over https (azurite with `--oauth basic`).</summary>
public sealed class BlobTokenLockStoreTests : StrictLockStoreContract
{
    private readonly FakeTokenCredential _credential = new();
    private readonly BlobContainerClient _container;

    public BlobTokenLockStoreTests() => _container = AzuriteContainers.CreateWithToken(_credential);

    protected override ILockStore CreateStore() => new BlobLockStore(_container, Clock);

    [Fact]
    public async Task The_store_authenticates_with_a_storage_token_from_the_credential()
    {
        _container.Uri.Scheme.ShouldBe("https");
        var key = new LockKey(LockKind.Project, "acme/infra", "app", "default");
        (await CreateStore().AcquireAsync(key, new("acme/infra", 1, "a", "u", "r"), TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        _credential.Scopes.ShouldContain("https://storage.azure.com/.default");
    }
}

/// <summary>The plan store contract with bearer tokens over https.</summary>
public sealed class BlobTokenPlanStoreTests : PlanStoreContract
{
    private readonly BlobContainerClient _container = AzuriteContainers.CreateWithToken(new FakeTokenCredential());

    protected override IPlanStore CreateStore(byte[]? key) => new BlobPlanStore(_container, key);

    protected override async Task<byte[]> ReadRawAsync(PlanKey key) => (await _container.GetBlobClient(BlobPlanStore.BlobName(key)).DownloadContentAsync()).Value.Content.ToArray();

    protected override Task WriteRawAsync(PlanKey key, byte[] bytes) => _container.GetBlobClient(BlobPlanStore.BlobName(key)).UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);
}

/// <summary>What makes the token tests mean something: the https azurite checks tokens, and the client trusts only its certificate.</summary>
public sealed class BlobTokenRefusalTests
{
    private static readonly LockKey Key = new(LockKind.Project, "acme/infra", "app", "default");
    private static readonly LockOwner Owner = new("acme/infra", 1, "a", "u", "r");

    [Theory]
    [InlineData("https://storage.azure.com", -600)] // expired ten minutes ago
    [InlineData("https://vault.azure.net", 3600)] // a token for another service
    public async Task A_token_azurite_would_not_accept_from_azure_is_refused(string audience, int expiresInSeconds)
    {
        var good = AzuriteContainers.CreateWithToken(new FakeTokenCredential());
        var bad = AzuriteContainers.WithToken(new FakeTokenCredential(audience, TimeSpan.FromSeconds(expiresInSeconds)), TestServers.AzuriteOAuth.Certificate, good.Name, retries: false);

        var refused = await Should.ThrowAsync<RequestFailedException>(() => new BlobLockStore(bad, TimeProvider.System).AcquireAsync(Key, Owner, TimeSpan.FromDays(1), CancellationToken.None));

        refused.Status.ShouldBe(403);
        refused.ErrorCode.ShouldBe("AuthenticationFailed");
        (await new BlobLockStore(good, TimeProvider.System).ListAsync(null, CancellationToken.None)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_client_pinned_to_another_certificate_does_not_talk_to_the_server()
    {
        var dir = Path.Combine(Path.GetTempPath(), "planbot-other-cert-" + Guid.NewGuid().ToString("N"));
        var (other, _, _) = LoopbackCertificate.Create(dir);
        Directory.Delete(dir, recursive: true);
        var credential = new FakeTokenCredential();
        var container = AzuriteContainers.WithToken(credential, other, AzuriteContainers.Name(), retries: false);

        var refused = await Should.ThrowAsync<RequestFailedException>(() => new BlobLockStore(container, TimeProvider.System).AcquireAsync(Key, Owner, TimeSpan.FromDays(1), CancellationToken.None));

        refused.Status.ShouldBe(0); // no HTTP answer: the TLS handshake failed
        refused.InnerException.ShouldBeOfType<HttpRequestException>().InnerException.ShouldBeOfType<System.Security.Authentication.AuthenticationException>();
    }
}
