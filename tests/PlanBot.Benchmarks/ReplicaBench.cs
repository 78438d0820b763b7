using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Azure.Storage;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlanBot.Aws.Locks;
using PlanBot.Azure.Queues;
using PlanBot.GitHub.Webhooks;
using PlanBot.Server;
using PlanBot.Testing;

namespace PlanBot.Benchmarks;

/// <summary>
/// Issue 18's service figure: deliveries per second through 1 and 2 replicas (in-process hosts, 4 PRs
/// at once each) over one azurite queue and one dynalite lease table: 80 deliveries for 40 PRs, the
/// handler either doing nothing (the queue's and leases' own cost) or waiting 500 ms (a stand-in for
/// a plan's time, which is what replicas add capacity for).
/// </summary>
public static class ReplicaBench
{
    public static async Task<int> RunAsync()
    {
        foreach (var work in new[] { 0, 500 })
        {
            foreach (var replicas in new[] { 1, 2 })
            {
                var (seconds, handled) = await MeasureAsync(replicas, TimeSpan.FromMilliseconds(work));
                Console.WriteLine($"replicas: {replicas}, handler {work} ms: {handled} deliveries in {seconds:N1} s = {handled / seconds:N1}/s  (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
            }
        }

        return 0;
    }

    private static async Task<(double Seconds, int Handled)> MeasureAsync(int replicas, TimeSpan work)
    {
        var data = Path.Combine(Path.GetTempPath(), $"planbot-bench-replicas-{Environment.ProcessId}-{replicas}-{work.TotalMilliseconds}");
        var queueClient = new QueueClient(new Uri($"{TestServers.AzuriteQueue}/bench{Guid.NewGuid():N}"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey),
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
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
            var shared = new SharedQueue(new AzureMessageQueue(queueClient), new DynamoDbLeaseStore(dynamo, table, TimeProvider.System), TimeSpan.FromSeconds(30), $"r{i}", _ => Task.CompletedTask);
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
