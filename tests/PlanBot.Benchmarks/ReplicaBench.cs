using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.SQS;
using Azure.Storage;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlanBot.Aws.Locks;
using PlanBot.Aws.Queues;
using PlanBot.Azure.Queues;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Webhooks;
using PlanBot.Server;
using PlanBot.Testing;

namespace PlanBot.Benchmarks;

/// <summary>
/// Issue 18's service figure: deliveries per second through 1 and 2 replicas (in-process hosts, 4 PRs
/// at once each) over one shared queue (`replicas azure`, the default: azurite; `replicas sqs`:
/// local-aws-sqs) and one dynalite lease table: 80 deliveries for 40 PRs, the handler either doing
/// nothing (the queue's and leases' own cost) or waiting 500 ms (a stand-in for a plan's time, which
/// is what replicas add capacity for). First, the queue's own send→receive latency.
/// </summary>
public static class ReplicaBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var backend = args.Length > 1 ? args[1] : "azure";
        if (backend is not ("azure" or "sqs"))
        {
            Console.Error.WriteLine($"replicas {backend}: write azure or sqs");
            return 2;
        }

        await LatencyAsync(backend);
        foreach (var work in new[] { 0, 500 })
        {
            foreach (var replicas in new[] { 1, 2 })
            {
                var (seconds, handled) = await MeasureAsync(backend, replicas, TimeSpan.FromMilliseconds(work));
                Console.WriteLine($"{backend}: replicas: {replicas}, handler {work} ms: {handled} deliveries in {seconds:N1} s = {handled / seconds:N1}/s  (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
            }
        }

        return 0;
    }

    /// <summary>One message at a time, 200 times: sent, then received (polled at once until it comes) and deleted.</summary>
    private static async Task LatencyAsync(string backend)
    {
        var queue = await NewQueueAsync(backend);
        await queue.SendAsync([0], CancellationToken.None); // the first request opens the connection
        await queue.DeleteAsync((await queue.ReceiveAsync(1, TimeSpan.FromSeconds(30), CancellationToken.None)).Single(), CancellationToken.None);
        var samples = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var watch = Stopwatch.StartNew();
            await queue.SendAsync([1, 2, 3], CancellationToken.None);
            IReadOnlyList<QueuedMessage> received;
            while ((received = await queue.ReceiveAsync(1, TimeSpan.FromSeconds(30), CancellationToken.None)).Count == 0)
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException($"{queue.Name}: a message sent 30 s ago was never received");
                }
            }

            samples.Add(watch.Elapsed.TotalMilliseconds);
            await queue.DeleteAsync(received[0], CancellationToken.None);
        }

        samples.Sort();
        Console.WriteLine($"{backend}: send→receive latency over 200 messages: median {samples[100]:N1} ms, p95 {samples[190]:N1} ms  (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }

    private static async Task<IMessageQueue> NewQueueAsync(string backend)
    {
        var name = $"bench{Guid.NewGuid():N}";
        if (backend == "azure")
        {
            return new AzureMessageQueue(new QueueClient(new Uri($"{TestServers.AzuriteQueue}/{name}"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey),
                new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None }));
        }

        var sqs = new AmazonSQSClient(new BasicAWSCredentials("x", "x"), new AmazonSQSConfig { ServiceURL = TestServers.Sqs, AuthenticationRegion = "us-east-1" });
        return new SqsMessageQueue(sqs, new Uri((await sqs.CreateQueueAsync(name)).QueueUrl));
    }

    private static async Task<(double Seconds, int Handled)> MeasureAsync(string backend, int replicas, TimeSpan work)
    {
        var data = Path.Combine(Path.GetTempPath(), $"planbot-bench-replicas-{Environment.ProcessId}-{replicas}-{work.TotalMilliseconds}");
        var queue = await NewQueueAsync(backend);
        var table = $"bench-{Guid.NewGuid():N}"[..20];
        var dynamo = new AmazonDynamoDBClient(new BasicAWSCredentials("x", "x"), new AmazonDynamoDBConfig { ServiceURL = TestServers.DynamoDb, AuthenticationRegion = "us-east-1" });
        await new DynamoDbLockStore(dynamo, table, TimeProvider.System).EnsureTableAsync(CancellationToken.None);
        var handler = new Timed(work);
        var apps = new List<WebApplication>();
        for (var i = 0; i < replicas; i++)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var shared = new SharedQueue(queue, new DynamoDbLeaseStore(dynamo, table, TimeProvider.System), TimeSpan.FromSeconds(30), $"r{i}", _ => Task.CompletedTask);
            builder.Services.AddPlanBotServer(new ServerOptions { WebhookSecret = "bench", DataDir = Path.Combine(data, $"r{i}"), Concurrency = 4, PollInterval = TimeSpan.FromMilliseconds(200) }, shared);
            builder.Services.AddSingleton<IDeliveryHandler>(handler);
            var app = builder.Build();
            WebhookEndpoints.Map(app);
            await app.StartAsync();
            apps.Add(app);
        }

        var urls = apps.Select(a => new Uri(a.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First())).ToArray();
        using var http = new HttpClient();
        var watch = Stopwatch.StartNew();
        const int Deliveries = 80;
        for (var d = 0; d < Deliveries; d++)
        {
            var pr = 1 + d % 40;
            var body = Encoding.UTF8.GetBytes($$"""{"action":"synchronize","number":{{pr}},"repository":{"full_name":"acme/infra"},"pull_request":{"number":{{pr}},"state":"open","user":{"login":"a"},"head":{"sha":"h{{d}}","ref":"b","repo":{"full_name":"acme/infra"} },"base":{"sha":"b","ref":"main","repo":{"full_name":"acme/infra"} } } }""");
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(urls[d % urls.Length], "/webhooks/github")) { Content = new ByteArrayContent(body) };
            request.Headers.Add("X-GitHub-Event", "pull_request");
            request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("bench"u8, body)));
            (await http.SendAsync(request)).EnsureSuccessStatusCode();
        }

        while (handler.Count < Deliveries && watch.Elapsed < TimeSpan.FromMinutes(5))
        {
            await Task.Delay(20);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        foreach (var app in apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Directory.Delete(data, recursive: true);
        return (seconds, handler.Count);
    }

    private sealed class Timed(TimeSpan work) : IDeliveryHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public async Task HandleAsync(Delivery delivery, WebhookEvent parsed, CancellationToken cancellationToken)
        {
            if (work > TimeSpan.Zero)
            {
                await Task.Delay(work, cancellationToken);
            }

            Interlocked.Increment(ref _count);
        }
    }
}
