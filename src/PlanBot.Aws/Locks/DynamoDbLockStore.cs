using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using PlanBot.Core.Ports;

namespace PlanBot.Aws.Locks;

/// <summary>
/// The <c>dynamodb</c> lock backend. One item per lock under the hash key <c>LockID</c> — the key
/// terraform's own lock table uses, so one table serves both (ours are prefixed <c>planbot:</c>).
/// Every write is a compare-and-swap on a version attribute (conditional PutItem/DeleteItem after a
/// consistent read), so a takeover of an expired lock cannot race; <c>expires_at</c> (epoch
/// seconds) is the table's TTL attribute, which cleans up what nobody released.
/// </summary>
public sealed class DynamoDbLockStore(IAmazonDynamoDB client, string table, TimeProvider time) : ILockStore, IApprovalStore
{
    public const string HashKey = "LockID";
    private const string Prefix = "planbot:";
    private const int Attempts = 8;

    public async Task<LockResult> AcquireAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (current, version) = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var taken = LockOwnership.Take(current, key, owner, now, ttl);
            if (taken is not LockResult.Acquired { Lock: var record })
            {
                return taken;
            }
            if (await TryPutAsync(record, version, cancellationToken).ConfigureAwait(false))
            {
                return taken;
            }

            Contended(key, attempt);
        }
    }

    public bool KeepsApprovals => true;

    public async Task<LockResult> UpdateApprovalsAsync(LockKey key, LockOwner owner, Func<string?, string?> update, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (current, version) = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            if (LockOwnership.Refuses(current, key, owner, time.GetUtcNow(), out var refused))
            {
                return refused;
            }

            var record = current with { Approvals = update(current.Approvals) };
            if (await TryPutAsync(record, version, cancellationToken).ConfigureAwait(false))
            {
                return new LockResult.Acquired(record);
            }

            Contended(key, attempt);
        }
    }

    private static void Contended(LockKey key, int attempt)
    {
        if (attempt >= Attempts)
        {
            throw new InvalidOperationException($"{key.Id}: another writer got in first {Attempts + 1} times in a row; nothing was changed, try again");
        }
    }

    public async Task<LockResult> ReleaseAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (current, version) = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            if (LockOwnership.Refuses(current, key, owner, time.GetUtcNow(), out var refused))
            {
                return refused;
            }

            try
            {
                await client.DeleteItemAsync(new DeleteItemRequest
                {
                    TableName = table,
                    Key = new() { [HashKey] = new AttributeValue { S = key.Id } },
                    ConditionExpression = "version = :version",
                    ExpressionAttributeValues = new() { [":version"] = Number(version) },
                }, cancellationToken).ConfigureAwait(false);
                return new LockResult.Released();
            }
            catch (ConditionalCheckFailedException) when (attempt < Attempts)
            {
            }
        }
    }

    public async Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = new List<LockRecord>();
        await foreach (var item in ScanAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item[HashKey].S.StartsWith(Prefix, StringComparison.Ordinal) && Record(item) is { } record && record.Expires > now && (repo is null || record.Key.Repo == repo))
            {
                result.Add(record);
            }
        }

        return [.. result.OrderBy(r => r.Key.Id, StringComparer.Ordinal)];
    }

    /// <summary>Terraform's own state locks in the same table: <c>LockID</c> items with an <c>Info</c> JSON document.</summary>
    public async Task<IReadOnlyList<(string LockId, string Info)>> ListTerraformLocksAsync(CancellationToken cancellationToken)
    {
        var result = new List<(string, string)>();
        await foreach (var item in ScanAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!item[HashKey].S.StartsWith(Prefix, StringComparison.Ordinal) && item.TryGetValue("Info", out var info) && info.S is { } text)
            {
                result.Add((item[HashKey].S, text));
            }
        }

        return [.. result.OrderBy(r => r.Item1, StringComparer.Ordinal)];
    }

    /// <summary>Creates the table (hash key LockID, on-demand) when it does not exist; for tests and first runs.</summary>
    public async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.DescribeTableAsync(table, cancellationToken).ConfigureAwait(false);
        }
        catch (ResourceNotFoundException)
        {
            await client.CreateTableAsync(new CreateTableRequest
            {
                TableName = table,
                AttributeDefinitions = [new AttributeDefinition(HashKey, ScalarAttributeType.S)],
                KeySchema = [new KeySchemaElement(HashKey, KeyType.HASH)],
                BillingMode = BillingMode.PAY_PER_REQUEST,
            }, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < 50; i++)
            {
                var described = await client.DescribeTableAsync(table, cancellationToken).ConfigureAwait(false);
                if (described.Table.TableStatus == TableStatus.ACTIVE)
                {
                    return;
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes the record if the item is still at <paramref name="version"/> (absent when 0); false when someone wrote between our read and this write, so the caller reads and decides again.</summary>
    private async Task<bool> TryPutAsync(LockRecord record, long version, CancellationToken cancellationToken)
    {
        try
        {
            await client.PutItemAsync(new PutItemRequest
            {
                TableName = table,
                Item = Item(record, version + 1),
                ConditionExpression = version == 0 ? "attribute_not_exists(LockID)" : "version = :version",
                ExpressionAttributeValues = version == 0 ? null : new() { [":version"] = Number(version) },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private async IAsyncEnumerable<Dictionary<string, AttributeValue>> ScanAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await client.ScanAsync(new ScanRequest { TableName = table, ExclusiveStartKey = start, ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                yield return item;
            }

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
    }

    private async Task<(LockRecord? Record, long Version)> ReadAsync(LockKey key, CancellationToken cancellationToken)
    {
        var response = await client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { [HashKey] = new AttributeValue { S = key.Id } },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        if (response.Item is not { Count: > 0 } item)
        {
            return (null, 0);
        }

        return (Record(item), long.Parse(item["version"].N, CultureInfo.InvariantCulture));
    }

    private static Dictionary<string, AttributeValue> Item(LockRecord r, long version)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [HashKey] = new AttributeValue { S = r.Key.Id },
            ["kind"] = new AttributeValue { S = r.Key.Kind.ToString() },
            ["repo"] = new AttributeValue { S = r.Key.Repo },
            ["dir"] = new AttributeValue { S = r.Key.Dir },
            ["workspace"] = new AttributeValue { S = r.Key.Workspace },
            ["owner_repo"] = new AttributeValue { S = r.Owner.Repo },
            ["pull_request"] = Number(r.Owner.PullRequest),
            ["head_sha"] = new AttributeValue { S = r.Owner.HeadSha },
            ["user"] = new AttributeValue { S = r.Owner.User },
            ["run_id"] = new AttributeValue { S = r.Owner.RunId },
            ["since"] = Number(r.Since.ToUnixTimeMilliseconds()),
            ["expires"] = Number(r.Expires.ToUnixTimeMilliseconds()),
            ["expires_at"] = Number(r.Expires.ToUnixTimeSeconds()),
            ["version"] = Number(version),
        };
        if (r.Approvals is { } approvals)
        {
            item["approvals"] = new AttributeValue { S = approvals };
        }

        return item;
    }

    private static LockRecord? Record(Dictionary<string, AttributeValue> i)
    {
        if (!i.ContainsKey("kind") || !Enum.TryParse<LockKind>(i["kind"].S, out var kind))
        {
            return null;
        }

        long N(string name) => long.Parse(i[name].N, CultureInfo.InvariantCulture);
        return new LockRecord(
            new LockKey(kind, i["repo"].S, i["dir"].S, i["workspace"].S),
            new LockOwner(i["owner_repo"].S, (int)N("pull_request"), i["head_sha"].S, i["user"].S, i["run_id"].S),
            DateTimeOffset.FromUnixTimeMilliseconds(N("since")),
            DateTimeOffset.FromUnixTimeMilliseconds(N("expires")),
            i.TryGetValue("approvals", out var approvals) ? approvals.S : null);
    }

    private static AttributeValue Number(long n) => new() { N = n.ToString(CultureInfo.InvariantCulture) };
}
