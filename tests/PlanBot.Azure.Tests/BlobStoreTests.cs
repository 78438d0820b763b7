using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using PlanBot.Azure.Locks;
using PlanBot.Azure.Plans;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

/// <summary>The lock contract on Blob Storage (azurite).</summary>
public sealed class BlobLockStoreTests : StrictLockStoreContract
{
    private readonly BlobContainerClient _container = AzuriteContainers.Create();

    protected override ILockStore CreateStore() => new BlobLockStore(_container, Clock);

    [Fact]
    public async Task A_run_lease_is_renewed_by_its_run_and_free_once_released()
    {
        var store = CreateStore();
        var key = new LockKey(LockKind.Run, "acme/infra", "app", "default");
        var run = new LockOwner("acme/infra", 5, "s", "u", "run-9");
        (await store.AcquireAsync(key, run, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        (await store.AcquireAsync(key, run, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        var other = run with { PullRequest = 6, RunId = "run-10" };
        (await store.AcquireAsync(key, other, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeOfType<LockResult.HeldBy>().Owner.RunId.ShouldBe("run-9");
        (await store.ReleaseAsync(key, run, CancellationToken.None)).ShouldBeOfType<LockResult.Released>();
        (await store.AcquireAsync(key, other, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
    }
}

/// <summary>Listing one repository's locks reads only the blobs whose metadata names it (and blobs without metadata).</summary>
public sealed class BlobLockListingTests
{
    [Fact]
    public async Task A_repositorys_listing_skips_other_repositories_locks_and_still_reads_blobs_written_without_metadata()
    {
        var container = AzuriteContainers.Create();
        var store = new BlobLockStore(container, TimeProvider.System);
        await store.AcquireAsync(new LockKey(LockKind.Project, "acme/infra", "app", "default"), new("acme/infra", 1, "a", "u", "r"), TimeSpan.FromDays(1), CancellationToken.None);
        await store.AcquireAsync(new LockKey(LockKind.Project, "acme/other", "app", "default"), new("acme/other", 2, "b", "v", "r"), TimeSpan.FromDays(1), CancellationToken.None);
        var expires = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds();
        await container.GetBlobClient("locks/legacy").UploadAsync(BinaryData.FromString(
            $$"""{"Kind":"Project","Repo":"acme/infra","Dir":"old","Workspace":"default","OwnerRepo":"acme/infra","PullRequest":3,"HeadSha":"c","User":"w","RunId":"r","Since":1,"Expires":{{expires}}}"""),
            CancellationToken.None);

        (await container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = "locks/" }).ToListAsync()).Count(b => b.Metadata.TryGetValue("planbotrepo", out var of) && of == "acme/other").ShouldBe(1);
        (await store.ListAsync("acme/infra", CancellationToken.None)).Select(l => (l.Key.Dir, l.Owner.PullRequest)).ShouldBe([("app", 1), ("old", 3)], ignoreOrder: true);
        (await store.ListAsync(null, CancellationToken.None)).Count.ShouldBe(3);
    }
}

/// <summary>The plan store contract on Blob Storage (azurite).</summary>
public sealed class BlobPlanStoreTests : KeyBoundPlanStoreContract
{
    private readonly BlobContainerClient _container = AzuriteContainers.Create();

    protected override IPlanStore CreateStore(byte[]? key) => new BlobPlanStore(_container, key);

    protected override async Task<byte[]> ReadRawAsync(PlanKey key) => (await _container.GetBlobClient(BlobPlanStore.BlobName(key)).DownloadContentAsync()).Value.Content.ToArray();

    protected override Task WriteRawAsync(PlanKey key, byte[] bytes) => _container.GetBlobClient(BlobPlanStore.BlobName(key)).UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);
}
