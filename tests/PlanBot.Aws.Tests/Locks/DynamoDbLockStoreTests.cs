using PlanBot.Aws.Locks;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Aws.Tests.Locks;

/// <summary>The lock contract against DynamoDB (dynalite), one fresh table per test.</summary>
public sealed class DynamoDbLockStoreTests : StrictLockStoreContract
{
    private readonly string _table = AwsClients.UniqueName("locks");

    protected override ILockStore CreateStore()
    {
        var store = new DynamoDbLockStore(AwsClients.DynamoDb(), _table, Clock);
        store.EnsureTableAsync(CancellationToken.None).GetAwaiter().GetResult();
        return store;
    }

    [Fact]
    public async Task Terraform_lock_items_in_the_same_table_are_listed_apart_and_never_touched()
    {
        var store = (DynamoDbLockStore)CreateStore();
        using var client = AwsClients.DynamoDb();
        await client.PutItemAsync(new Amazon.DynamoDBv2.Model.PutItemRequest
        {
            TableName = _table,
            Item = new()
            {
                ["LockID"] = new() { S = "tfstate/envs/prod/network.tfstate" },
                ["Info"] = new() { S = """{"ID":"b1c2","Operation":"OperationTypeApply","Who":"bob@ci","Created":"2026-12-01T08:00:00Z"}""" },
            },
        });
        var key = new LockKey(LockKind.Project, "acme/infra", "envs/prod/network", "default");
        (await store.AcquireAsync(key, new("acme/infra", 3, "s", "u", "r"), TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();

        (await store.ListAsync(null, CancellationToken.None)).Single().Key.ShouldBe(key);
        var terraform = (await store.ListTerraformLocksAsync(CancellationToken.None)).Single();
        terraform.LockId.ShouldBe("tfstate/envs/prod/network.tfstate");
        terraform.Info.ShouldContain("bob@ci");
    }
}
