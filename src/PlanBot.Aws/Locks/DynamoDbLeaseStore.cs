using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using PlanBot.Core.Ports;

namespace PlanBot.Aws.Locks;

/// <summary>
/// Leases and seen delivery ids in the lock table (hash key <c>LockID</c>, items prefixed
/// <c>planbot:lease:</c> and <c>planbot:seen:</c>, which the lock store's listing skips). Every write
/// is conditional on what was read (the token, or absence), so two replicas taking one expired lease
/// cannot both win; <c>expires_at</c> is the table's TTL attribute.
/// </summary>
public sealed class DynamoDbLeaseStore(IAmazonDynamoDB client, string table, TimeProvider time) : ILeaseStore
{
    private const string HashKey = DynamoDbLockStore.HashKey;

    public string Table => table;

    public async Task<Lease?> TryAcquireAsync(string key, string holder, TimeSpan ttl, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var current = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            var taken = LeaseRules.Take(current, key, holder, time.GetUtcNow(), ttl);
            if (taken is null)
            {
                return null;
            }

            if (await TryPutAsync(taken, current?.Token, cancellationToken).ConfigureAwait(false))
            {
                return taken;
            }
        }

        return null; // contended every time: treat as held, the caller tries later
    }

    public async Task<bool> RenewAsync(Lease lease, TimeSpan ttl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var now = time.GetUtcNow();
        try
        {
            await client.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = new() { [HashKey] = new AttributeValue { S = LeaseId(lease.Key) } },
                UpdateExpression = "SET expires = :expires, expires_at = :expires_at",
                ConditionExpression = "#token = :token AND holder = :holder AND expires > :now",
                ExpressionAttributeNames = new() { ["#token"] = "token" },
                ExpressionAttributeValues = new()
                {
                    [":expires"] = Number((now + ttl).ToUnixTimeMilliseconds()),
                    [":expires_at"] = Number((now + ttl).ToUnixTimeSeconds() + 86400),
                    [":token"] = Number(lease.Token),
                    [":holder"] = new AttributeValue { S = lease.Holder },
                    [":now"] = Number(now.ToUnixTimeMilliseconds()),
                },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public async Task ReleaseAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            await client.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = new() { [HashKey] = new AttributeValue { S = LeaseId(lease.Key) } },
                UpdateExpression = "SET expires = :zero",
                ConditionExpression = "#token = :token AND holder = :holder",
                ExpressionAttributeNames = new() { ["#token"] = "token" },
                ExpressionAttributeValues = new() { [":zero"] = Number(0), [":token"] = Number(lease.Token), [":holder"] = new AttributeValue { S = lease.Holder } },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // a newer holder has it: nothing of ours to release
        }
    }

    public async Task<bool> TryRecordAsync(string id, TimeSpan keep, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        try
        {
            await client.PutItemAsync(new PutItemRequest
            {
                TableName = table,
                Item = new()
                {
                    [HashKey] = new AttributeValue { S = SeenId(id) },
                    ["expires"] = Number((now + keep).ToUnixTimeMilliseconds()),
                    ["expires_at"] = Number((now + keep).ToUnixTimeSeconds()),
                },
                ConditionExpression = "attribute_not_exists(LockID) OR expires <= :now",
                ExpressionAttributeValues = new() { [":now"] = Number(now.ToUnixTimeMilliseconds()) },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    public async Task<bool> IsRecordedAsync(string id, CancellationToken cancellationToken)
    {
        var response = await client.GetItemAsync(new GetItemRequest { TableName = table, Key = new() { [HashKey] = new AttributeValue { S = SeenId(id) } }, ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item && long.Parse(item["expires"].N, CultureInfo.InvariantCulture) > time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    public Task ForgetAsync(string id, CancellationToken cancellationToken) =>
        client.DeleteItemAsync(new DeleteItemRequest { TableName = table, Key = new() { [HashKey] = new AttributeValue { S = SeenId(id) } } }, cancellationToken);

    /// <summary>Throws when the table cannot be read (the readiness probe).</summary>
    public Task PingAsync(CancellationToken cancellationToken) => client.DescribeTableAsync(table, cancellationToken);

    private async Task<Lease?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var response = await client.GetItemAsync(new GetItemRequest { TableName = table, Key = new() { [HashKey] = new AttributeValue { S = LeaseId(key) } }, ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
        if (response.Item is not { Count: > 0 } item)
        {
            return null;
        }

        long N(string name) => long.Parse(item[name].N, CultureInfo.InvariantCulture);
        return new Lease(key, item["holder"].S, N("token"), DateTimeOffset.FromUnixTimeMilliseconds(N("expires")));
    }

    /// <summary>Writes the lease if the item still has <paramref name="token"/> (absent when null).</summary>
    private async Task<bool> TryPutAsync(Lease lease, long? token, CancellationToken cancellationToken)
    {
        try
        {
            await client.PutItemAsync(new PutItemRequest
            {
                TableName = table,
                Item = new()
                {
                    [HashKey] = new AttributeValue { S = LeaseId(lease.Key) },
                    ["holder"] = new AttributeValue { S = lease.Holder },
                    ["token"] = Number(lease.Token),
                    ["expires"] = Number(lease.Expires.ToUnixTimeMilliseconds()),
                    // a day past the lease: the item (and its token) outlives any replica that could still hold the old one
                    ["expires_at"] = Number(lease.Expires.ToUnixTimeSeconds() + 86400),
                },
                ConditionExpression = token is null ? "attribute_not_exists(LockID)" : "#token = :token",
                ExpressionAttributeNames = token is null ? null : new() { ["#token"] = "token" },
                ExpressionAttributeValues = token is null ? null : new() { [":token"] = Number(token.Value) },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private static string LeaseId(string key) => "planbot:lease:" + key;

    private static string SeenId(string id) => "planbot:seen:" + id;

    private static AttributeValue Number(long n) => new() { N = n.ToString(CultureInfo.InvariantCulture) };
}
