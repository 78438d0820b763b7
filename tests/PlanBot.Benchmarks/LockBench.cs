using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using PlanBot.Aws.Locks;
using PlanBot.Azure.Blob;
using PlanBot.Azure.Locks;
using PlanBot.Core.Ports;
using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Benchmarks;

/// <summary>
/// Issue 5's figures: acquire + release round trip p50/p99 on each backend (500 sequential round trips
/// after 50 of warm-up), and the throughput of 32 clients contending for 8 keys for 5 seconds.
/// The servers are the npm ones the tests use (started here when not already running).
/// </summary>
public static class LockBench
{
    public static async Task<int> RunAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "planbot-bench-locks-" + Environment.ProcessId);
        var dynamo = new AmazonDynamoDBClient(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonDynamoDBConfig { ServiceURL = TestServers.DynamoDb, AuthenticationRegion = "us-east-1" });
        var table = new DynamoDbLockStore(dynamo, "bench-locks", TimeProvider.System);
        await table.EnsureTableAsync(CancellationToken.None);
        var container = new BlobContainer(new Uri(TestServers.Azurite), "bench-locks", new BlobAuth.SharedKey(TestServers.AzuriteAccount, TestServers.AzuriteKey));
        await container.CreateIfNotExistsAsync(CancellationToken.None);
        var stores = new (string Name, ILockStore Store)[]
        {
            ("local (SQLite)", new SqliteLockStore(Path.Combine(dir, "locks.db"), TimeProvider.System)),
            ("dynamodb (dynalite)", table),
            ("azure (azurite)", new BlobLockStore(container, TimeProvider.System)),
        };

        foreach (var (name, store) in stores)
        {
            var times = new List<double>();
            for (var i = 0; i < 550; i++)
            {
                var key = new LockKey(LockKind.Project, "bench/repo", $"p{i % 10}", "default");
                var owner = new LockOwner("bench/repo", 1, "sha", "bench", "run");
                var watch = Stopwatch.StartNew();
                await store.AcquireAsync(key, owner, TimeSpan.FromMinutes(5), CancellationToken.None);
                await store.ReleaseAsync(key, owner, CancellationToken.None);
                if (i >= 50)
                {
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            times.Sort();
            var (operations, acquired) = await ContendAsync(store);
            Console.WriteLine($"locks {name}: acquire+release p50 {times[times.Count / 2]:N1} ms, p99 {times[(int)(times.Count * 0.99)]:N1} ms; " +
                              $"32 contending clients on 8 keys: {operations / 5.0:N0} operations/s, {acquired / 5.0:N0} acquisitions/s");
        }

        Directory.Delete(dir, recursive: true);
        return 0;
    }

    /// <summary>32 clients, each acquiring one of 8 keys and releasing it when it wins, for 5 s.</summary>
    private static async Task<(long Operations, long Acquired)> ContendAsync(ILockStore store)
    {
        long operations = 0, acquired = 0;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        await Task.WhenAll(Enumerable.Range(0, 32).Select(client => Task.Run(async () =>
        {
            var owner = new LockOwner("bench/repo", client + 100, "sha", "bench", $"run-{client}");
            for (var i = 0; DateTime.UtcNow < deadline; i++)
            {
                var key = new LockKey(LockKind.Project, "bench/repo", $"contended-{(client + i) % 8}", "default");
                var result = await store.AcquireAsync(key, owner, TimeSpan.FromMinutes(5), CancellationToken.None);
                Interlocked.Increment(ref operations);
                if (result is LockResult.Acquired)
                {
                    Interlocked.Increment(ref acquired);
                    await store.ReleaseAsync(key, owner, CancellationToken.None);
                    Interlocked.Increment(ref operations);
                }
            }
        })));
        return (operations, acquired);
    }
}
