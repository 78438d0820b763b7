using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlanBot.GitHub.Webhooks;
using PlanBot.Server;

namespace PlanBot.Benchmarks;

/// <summary>
/// Issue 4's intake figure: signed pull_request deliveries POSTed to a running `serve` on loopback
/// by 32 concurrent clients for 10 s (after a 2 s warm-up); the worker's handler does nothing, so
/// this is the accept path: read, verify HMAC, parse, persist, 202.
/// </summary>
public static class IntakeBench
{
    private static readonly int Clients = int.TryParse(Environment.GetEnvironmentVariable("PLANBOT_BENCH_CLIENTS"), out var n) ? n : 32;

    public static async Task<int> RunAsync()
    {
        var data = Path.Combine(Environment.GetEnvironmentVariable("PLANBOT_BENCH_DIR") ?? Path.GetTempPath(), "planbot-bench-intake-" + Environment.ProcessId);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:45199");
        builder.Logging.ClearProviders();
        builder.Services.AddPlanBotServer(new ServerOptions { WebhookSecret = "bench", DataDir = data });
        builder.Services.AddSingleton<IDeliveryHandler>(new NoOp());
        await using var app = builder.Build();
        WebhookEndpoints.Map(app);
        await app.StartAsync();

        var body = Encoding.UTF8.GetBytes(await File.ReadAllTextAsync(Path.Combine(PlanBot.Testing.Fixtures.Path("webhooks"), "pull_request.synchronize.json")));
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("bench"u8, body));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri("http://127.0.0.1:45199") };
        await Load(http, body, signature, TimeSpan.FromSeconds(2)); // warm-up
        var (count, latencies, statuses) = await Load(http, body, signature, TimeSpan.FromSeconds(10));
        latencies.Sort();
        Console.WriteLine($"webhook intake: {count / 10.0:N0} signed deliveries/s, p50 {latencies[latencies.Count / 2]:N2} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:N2} ms " +
                          $"({body.Length:N0}-byte payload, {Clients} clients, answers: {string.Join(", ", statuses.Select(kv => $"{kv.Key} ×{kv.Value:N0}"))})  [target > 2,000/s, p99 < 20 ms]");
        await app.StopAsync();
        Directory.Delete(data, recursive: true);
        return 0;
    }

    /// <summary>
    /// Issue 15's memory figure: 60 unsigned 24 MB POSTs (12 at a time) to the service on loopback,
    /// then the process's peak and current resident memory (VmHWM, VmRSS after a full GC). The client
    /// sends one shared 24 MB array, so nearly all of the growth is the service's.
    /// </summary>
    public static async Task<int> FloodAsync()
    {
        var data = Path.Combine(Environment.GetEnvironmentVariable("PLANBOT_BENCH_DIR") ?? Path.GetTempPath(), "planbot-bench-flood-" + Environment.ProcessId);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddPlanBotServer(new ServerOptions { WebhookSecret = "bench", DataDir = data });
        builder.Services.AddSingleton<IDeliveryHandler>(new NoOp());
        await using var app = builder.Build();
        WebhookEndpoints.Map(app);
        await app.StartAsync();
        var url = app.Urls.First();
        GC.Collect();
        var start = Status("VmRSS");
        var body = new byte[24 * 1024 * 1024];
        Array.Fill(body, (byte)' ');
        body[0] = (byte)'{';
        body[^1] = (byte)'}';
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
        var answers = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 60), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (i, ct) =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = content };
            request.Headers.Add("X-GitHub-Event", "pull_request");
            request.Headers.Add("X-GitHub-Delivery", $"flood-{i}");
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + new string('0', 64));
            string answer;
            try
            {
                using var response = await http.SendAsync(request, ct);
                answer = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (HttpRequestException e)
            {
                answer = "reset (" + e.HttpRequestError + ")"; // the service may answer and close before the upload ends
            }

            answers.AddOrUpdate(answer, 1, (_, n) => n + 1);
        });
        var peak = Status("VmHWM");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var after = Status("VmRSS");
        Console.WriteLine($"webhook flood: 60 unsigned 24 MB posts (12 at a time) in {watch.Elapsed.TotalSeconds:N1} s; RSS {start} MB at start, peak {peak} MB, {after} MB after a full GC " +
                          $"(answers: {string.Join(", ", answers.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} ×{kv.Value}"))})");
        await app.StopAsync();
        Directory.Delete(data, recursive: true);
        return 0;
    }

    /// <summary>A /proc/self/status figure in MB (Linux).</summary>
    private static long Status(string field) =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024).FirstOrDefault();

    private static async Task<(int Count, List<double> Latencies, Dictionary<int, int> Statuses)> Load(HttpClient http, byte[] body, string signature, TimeSpan duration)
    {
        var latencies = new List<double>();
        var statuses = new Dictionary<int, int>();
        var deadline = DateTime.UtcNow + duration;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            var mine = new List<double>();
            var codes = new Dictionary<int, int>();
            while (DateTime.UtcNow < deadline)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = new ByteArrayContent(body) };
                request.Headers.Add("X-GitHub-Event", "pull_request");
                request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
                request.Headers.Add("X-Hub-Signature-256", signature);
                var watch = Stopwatch.StartNew();
                using var response = await http.SendAsync(request);
                mine.Add(watch.Elapsed.TotalMilliseconds);
                codes[(int)response.StatusCode] = codes.GetValueOrDefault((int)response.StatusCode) + 1;
            }

            lock (latencies)
            {
                latencies.AddRange(mine);
                foreach (var (code, n) in codes)
                {
                    statuses[code] = statuses.GetValueOrDefault(code) + n;
                }
            }
        })));
        return (latencies.Count, latencies, statuses);
    }

    private sealed class NoOp : IDeliveryHandler
    {
        public Task HandleAsync(Delivery delivery, WebhookEvent parsed, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
