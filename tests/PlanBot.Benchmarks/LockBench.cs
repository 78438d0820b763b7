using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using PlanBot.Aws.Locks;
using Azure.Storage;
using Azure.Storage.Blobs;
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
        var container = new BlobContainerClient(new Uri(TestServers.Azurite + "/bench-locks"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey));
        await container.CreateIfNotExistsAsync();
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
            var approvals = await ApprovalsAsync(store);
            Console.WriteLine($"locks {name}: acquire+release p50 {times[times.Count / 2]:N1} ms, p99 {times[(int)(times.Count * 0.99)]:N1} ms; " +
                              $"32 contending clients on 8 keys: {operations / 5.0:N0} operations/s, {acquired / 5.0:N0} acquisitions/s; " +
                              $"approval state of a PR holding 10 project locks, read + save: p50 {approvals[approvals.Count / 2]:N1} ms, p99 {approvals[(int)(approvals.Count * 0.99)]:N1} ms");
        }

        Directory.Delete(dir, recursive: true);
        return 0;
    }

    /// <summary>What recording approvals adds to each PR run: the PR's approval state read from its 10 lock records and saved back (200 rounds after 20 of warm-up), sorted.</summary>
    private static async Task<List<double>> ApprovalsAsync(ILockStore store)
    {
        var owner = new LockOwner("bench/repo", 2, "sha", "bench", "run");
        var projects = Enumerable.Range(0, 10).Select(i => new PlanBot.Core.Discovery.Project { Name = $"a{i}", Dir = $"a{i}" }).ToArray();
        foreach (var project in projects)
        {
            await store.AcquireAsync(new LockKey(LockKind.Project, "bench/repo", project.Dir, "default"), owner, TimeSpan.FromMinutes(5), CancellationToken.None);
        }

        var records = new PlanBot.Core.Policy.ApprovalRecords((IApprovalStore)store);
        var plan = new PlanBot.Core.Policy.PlanMeta("sha", 1, projects.ToDictionary(p => p.Name, p => "fp-" + p.Name), [.. projects.Select(p => p.Name)]);
        var times = new List<double>();
        for (var i = 0; i < 220; i++)
        {
            var watch = Stopwatch.StartNew();
            var before = await records.ReadAsync("bench/repo", 2, null, CancellationToken.None);
            var entry = new PlanBot.Core.Policy.ApprovalEntry(i, "carol", "sha", new(plan.Fingerprints));
            await records.SaveAsync(owner, before, new PlanBot.Core.Policy.ApprovalState(plan, [.. before.Entries.TakeLast(2), entry]), projects, CancellationToken.None);
            if (i >= 20)
            {
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        foreach (var project in projects)
        {
            await store.ReleaseAsync(new LockKey(LockKind.Project, "bench/repo", project.Dir, "default"), owner, CancellationToken.None);
        }

        times.Sort();
        return times;
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
