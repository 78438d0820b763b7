using PlanBot.Aws.Locks;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Aws.Tests.Locks;

/// <summary>The lease contract on DynamoDB (dynalite), in a lock table shared with locks it must not disturb.</summary>
public sealed class DynamoDbLeaseStoreTests : LeaseStoreContract
{
    private readonly string _table = AwsClients.UniqueName("leases");

    protected override ILeaseStore CreateStore()
    {
        new DynamoDbLockStore(AwsClients.DynamoDb(), _table, Clock).EnsureTableAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new DynamoDbLeaseStore(AwsClients.DynamoDb(), _table, Clock);
    }

    [Fact]
    public async Task Leases_and_seen_ids_are_not_listed_as_locks_of_the_same_table()
    {
        var leases = (DynamoDbLeaseStore)CreateStore();
        var locks = new DynamoDbLockStore(AwsClients.DynamoDb(), _table, Clock);
        (await leases.TryAcquireAsync("pr:acme/infra#7", "a/d", TimeSpan.FromMinutes(1), CancellationToken.None)).ShouldNotBeNull();
        (await leases.TryRecordAsync("delivery:1", TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeTrue();
        (await locks.ListAsync(null, CancellationToken.None)).ShouldBeEmpty();
        (await locks.ListTerraformLocksAsync(CancellationToken.None)).ShouldBeEmpty();
        await leases.PingAsync(CancellationToken.None);
    }
}
