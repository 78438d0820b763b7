using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server.Tests;

/// <summary>The service on a loopback port with a recording handler that can be held.</summary>
internal sealed class ServiceHost : IAsyncDisposable
{
    public const string Secret = "test-secret";

    private ServiceHost(WebApplication app, RecordingHandler handler, Uri url)
    {
        App = app;
        Handler = handler;
        Url = url;
        Http = new HttpClient { BaseAddress = url };
    }

    public WebApplication App { get; }

    public RecordingHandler Handler { get; }

    public Uri Url { get; }

    public HttpClient Http { get; }

    public static async Task<ServiceHost> StartAsync(string dataDir, RecordingHandler? handler = null, long maxBody = 25 * 1024 * 1024)
    {
        handler ??= new RecordingHandler();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddPlanBotServer(new ServerOptions { WebhookSecret = "old-secret," + Secret, DataDir = dataDir, Concurrency = 2, MaxBodyBytes = maxBody, PollInterval = TimeSpan.FromMilliseconds(200) });
        builder.Services.AddSingleton<IDeliveryHandler>(handler);
        var app = builder.Build();
        WebhookEndpoints.Map(app);
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new ServiceHost(app, handler, url);
    }

    public static string Sign(byte[] body, string secret = Secret) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public Task<HttpResponseMessage> PostAsync(string eventName, string json, string? delivery = null, string? signature = "sign")
    {
        var body = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", delivery ?? Guid.NewGuid().ToString());
        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature == "sign" ? Sign(body) : signature);
        }

        return Http.SendAsync(request);
    }

    public static string PullRequest(int number, string head, string action = "synchronize") =>
        $$"""{"action":"{{action}}","number":{{number}},"repository":{"full_name":"acme/infra"},"pull_request":{"number":{{number}},"state":"open","user":{"login":"alice"},"head":{"sha":"{{head}}","ref":"b","repo":{"full_name":"acme/infra"} },"base":{"sha":"base","ref":"main","repo":{"full_name":"acme/infra"} } } }""";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Records handled deliveries; a gate per PR holds them until released.</summary>
internal sealed class RecordingHandler : IDeliveryHandler
{
    public ConcurrentQueue<(string Key, string Head, DateTimeOffset At)> Handled { get; } = new();

    public ConcurrentDictionary<int, TaskCompletionSource> Gates { get; } = new();

    public ConcurrentDictionary<int, TaskCompletionSource> Started { get; } = new();

    public async Task HandleAsync(Delivery delivery, WebhookEvent parsed, CancellationToken cancellationToken)
    {
        var pr = parsed.PullRequestNumber ?? 0;
        Started.GetOrAdd(pr, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (Gates.TryGetValue(pr, out var gate))
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        Handled.Enqueue((DeliveryQueue.KeyOf(delivery), parsed is WebhookEvent.PullRequestChanged c ? c.PullRequest.HeadSha : "", DateTimeOffset.UtcNow));
    }

    public async Task WaitForAsync(int count, int seconds = 20)
    {
        for (var i = 0; i < seconds * 20 && Handled.Count < count; i++)
        {
            await Task.Delay(50);
        }
    }
}
