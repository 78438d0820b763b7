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

    /// <summary>Retries in milliseconds, not minutes: the schedule is the options', the behaviour the same.</summary>
    public static ServerOptions Options(string dataDir, long maxBody = 25 * 1024 * 1024) => new()
    {
        WebhookSecret = "old-secret," + Secret,
        DataDir = dataDir,
        Concurrency = 2,
        MaxBodyBytes = maxBody,
        PollInterval = TimeSpan.FromMilliseconds(100),
        FailureBackoff = TimeSpan.FromMilliseconds(20),
        OutageRetries = [TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40)],
    };

    public static async Task<ServiceHost> StartAsync(string dataDir, RecordingHandler? handler = null, long maxBody = 25 * 1024 * 1024, ServerOptions? options = null, IDeliveryHandler? lease = null, SharedQueue? shared = null)
    {
        handler ??= new RecordingHandler();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddPlanBotServer(options ?? Options(dataDir, maxBody), shared);
        builder.Services.AddSingleton<IDeliveryHandler>(lease ?? handler);
        builder.Services.AddSingleton<IDeadLetterNotice>(handler);
        var app = builder.Build();
        WebhookEndpoints.Map(app);
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new ServiceHost(app, handler, url);
    }

    public static string Sign(byte[] body, string secret = Secret) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public DeliveryQueue Queue => App.Services.GetRequiredService<DeliveryQueue>();

    public Task<HttpResponseMessage> PostAsync(string eventName, string json, string? delivery = null, string? signature = "sign", string? secret = null) =>
        PostAsync(eventName, Encoding.UTF8.GetBytes(json), delivery, signature, secret);

    public Task<HttpResponseMessage> PostAsync(string eventName, byte[] body, string? delivery = null, string? signature = "sign", string? secret = null, string? contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = content };
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", delivery ?? Guid.NewGuid().ToString());
        // a body over the cap may be refused while it is still being sent, and the server then closes
        // the connection: never hand that connection back to the pool for the test's next request
        request.Headers.ConnectionClose = body.Length > 64 * 1024;
        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature == "sign" ? Sign(body, secret ?? Secret) : signature);
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

/// <summary>Records handled deliveries; a gate per PR holds them until released; a PR in <see cref="Throws"/> fails.</summary>
internal sealed class RecordingHandler : IDeliveryHandler, IDeadLetterNotice
{
    public ConcurrentQueue<(string Key, string Head, DateTimeOffset At)> Handled { get; } = new();

    /// <summary>Every run, failed or not: delivery id, attempt, run id.</summary>
    public ConcurrentQueue<(string Id, int Attempt, string RunId)> Runs { get; } = new();

    /// <summary>PR number → what its handler throws.</summary>
    public ConcurrentDictionary<int, Func<Exception>> Throws { get; } = new();

    public ConcurrentQueue<(string Id, int? PullRequest, string Why)> DeadLetters { get; } = new();

    public Task NotifyAsync(Delivery delivery, WebhookEvent parsed, string why, CancellationToken cancellationToken)
    {
        DeadLetters.Enqueue((delivery.Id, parsed.PullRequestNumber, why));
        return Task.CompletedTask;
    }

    public ConcurrentDictionary<int, TaskCompletionSource> Gates { get; } = new();

    public ConcurrentDictionary<int, TaskCompletionSource> Started { get; } = new();

    public async Task HandleAsync(Delivery delivery, WebhookEvent parsed, CancellationToken cancellationToken)
    {
        var pr = parsed.PullRequestNumber ?? 0;
        Runs.Enqueue((delivery.Id, delivery.Attempt, delivery.RunId));
        if (Throws.TryGetValue(pr, out var fail))
        {
            throw fail();
        }

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

    /// <summary>Polls a condition (the worker runs in the background) for up to 30 s; false when it never held.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        return condition();
    }
}
