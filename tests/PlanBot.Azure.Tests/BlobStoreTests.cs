using PlanBot.Azure.Blob;
using PlanBot.Azure.Locks;
using PlanBot.Azure.Plans;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

/// <summary>The lock contract on Blob Storage (azurite).</summary>
public sealed class BlobLockStoreTests : LockStoreContract
{
    private readonly BlobContainer _container = AzuriteContainers.Create();

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

/// <summary>The plan store contract on Blob Storage (azurite).</summary>
public sealed class BlobPlanStoreTests : PlanStoreContract
{
    private readonly BlobContainer _container = AzuriteContainers.Create();

    protected override IPlanStore CreateStore(byte[]? key) => new BlobPlanStore(_container, key);

    protected override async Task<byte[]> ReadRawAsync(PlanKey key) => (await _container.GetAsync(BlobPlanStore.BlobName(key), CancellationToken.None))!.Content;

    protected override Task WriteRawAsync(PlanKey key, byte[] bytes) => _container.PutAsync(BlobPlanStore.BlobName(key), bytes, false, null, null, CancellationToken.None);
}
