using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Testing;

namespace PlanBot.Cli.Tests.Harness;

/// <summary>
/// `planbot serve` in-process on a free loopback port, pointed at the fake GitHub and healthy (or
/// already exited) before it is returned; deliveries are signed as GitHub signs them. Stopping it is
/// what SIGTERM does.
/// </summary>
internal sealed class InProcessService : IAsyncDisposable
{
    public const string Secret = "s3cret";

    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(5));
    private Task<int> _serve = Task.FromResult(0);

    private InProcessService(HttpClient http) => Http = http;

    public HttpClient Http { get; }

    public StringWriter Errors { get; } = new();

    /// <summary>Sets the service's environment in <paramref name="environment"/> (the test's scope) and starts it with <paramref name="arguments"/> after `serve --urls`.</summary>
    public static async Task<InProcessService> StartAsync(EnvironmentScope environment, FakeGitHub github, string dataDir, params string[] arguments)
    {
        environment.Set("PLANBOT_WEBHOOK_SECRET", Secret);
        environment.Set("PLANBOT_DATA_DIR", dataDir);
        environment.Set("GITHUB_API_URL", github.Url.ToString());
        environment.Set("GITHUB_TOKEN", FakeGitHub.Token);
        environment.Set("PLANBOT_ALLOW_FILE_CLONE", "1"); // the fake PRs' clone URLs are file://
        var url = $"http://127.0.0.1:{LoopbackPort.Free()}";
        var service = new InProcessService(new HttpClient { BaseAddress = new Uri(url) });
        service._serve = Task.Run(() => CliApp.RunAsync(["serve", "--urls", url, .. arguments], new StringWriter(), service.Errors, service._stop.Token));
        for (var i = 0; i < 100 && !await service.HealthyAsync(); i++)
        {
            await Task.Delay(100);
        }

        return service;
    }

    public Task<HttpStatusCode> DeliverAsync(string eventName, JsonObject payload) => DeliverAsync(eventName, payload.ToJsonString());

    public Task<HttpStatusCode> DeliverAsync(string eventName, string payload) => DeliverAsync(Http, eventName, payload);

    public static async Task<HttpStatusCode> DeliverAsync(HttpClient http, string eventName, string payload) => (await SendAsync(http, eventName, payload)).StatusCode;

    /// <summary>One signed delivery with a fresh delivery id, as GitHub sends it.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, string eventName, string payload)
    {
        var body = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body)));
        return await http.SendAsync(request);
    }

    /// <summary>Waits until <paramref name="done"/> holds (the service works in the background); a timeout fails naming <paramref name="what"/> and the service's errors.</summary>
    public static async Task WaitForAsync(Func<bool> done, string what, InProcessService? service = null, int seconds = 90)
    {
        for (var i = 0; i < seconds * 10 && !done(); i++)
        {
            await Task.Delay(100);
        }

        if (!done())
        {
            // read only now: the service is still writing to Errors, and a StringWriter read while written to can throw
            Assert.Fail($"timed out waiting for {what}: {service?.Errors}");
        }
    }

    /// <summary>Stops the service (as SIGTERM would) and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _serve;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
        _stop.Dispose();
    }

    private async Task<bool> HealthyAsync()
    {
        if (_serve.IsCompleted)
        {
            return true; // it exited: StopAsync reports the code and Errors the reason
        }

        try
        {
            return (await Http.GetAsync("/healthz")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
