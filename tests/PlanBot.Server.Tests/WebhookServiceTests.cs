using System.Net;
using PlanBot.Testing;

namespace PlanBot.Server.Tests;

public sealed class WebhookServiceTests : IDisposable
{
    private readonly TempDir _data = new("planbot-serve");

    [Fact]
    public async Task Unsigned_badly_signed_malformed_replayed_ignored_and_oversized_deliveries_get_the_right_answers()
    {
        await using var host = await ServiceHost.StartAsync(_data.Path, maxBody: 64 * 1024);
        var json = ServiceHost.PullRequest(1, "h1");
        (await host.PostAsync("pull_request", json, signature: null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.PostAsync("pull_request", json, signature: ServiceHost.Sign("x"u8.ToArray()))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.PostAsync("pull_request", json, signature: "sha256=" + new string('0', 64))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.PostAsync("pull_request", "{not json")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await host.PostAsync("ping", """{"zen":"Keep it logically awesome.","hook_id":1}""")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(1, "h1", "labeled"))).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await host.PostAsync("pull_request", "{not json"u8.ToArray(), contentType: null)).StatusCode.ShouldBe(HttpStatusCode.BadRequest, "no Content-Type: read as JSON");
        (await host.PostAsync("pull_request", System.Text.Encoding.UTF8.GetBytes(json), contentType: "application/x-www-form-urlencoded")).StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        host.Queue.List().ShouldBeEmpty("nothing refused is queued");

        (await host.PostAsync("pull_request", json, delivery: "d-1")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var replay = await host.PostAsync("pull_request", json, delivery: "d-1");
        replay.StatusCode.ShouldBe(HttpStatusCode.OK, "a replay is answered 2xx (GitHub shows a 409 as a failed delivery) and not run again");
        (await replay.Content.ReadAsStringAsync()).ShouldContain("accepted before");
        // refused before it is read: the server may close the connection before the sender has finished sending
        var oversized = await Record.ExceptionAsync(async () => (await host.PostAsync("pull_request", json + new string(' ', 70 * 1024))).StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge));
        (oversized is null or HttpRequestException).ShouldBeTrue($"413 or a closed connection, got {oversized}");

        await host.Handler.WaitForAsync(1);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(1, "h2"), delivery: "d-2")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await host.Handler.WaitForAsync(2);
        host.Handler.Handled.Select(h => h.Head).ShouldBe(["h1", "h2"], "the replay of d-1 ran once; d-2 after it");
        var health = await host.Http.GetStringAsync("/healthz");
        health.ShouldContain("\"status\":\"ok\"");
    }

    [Fact]
    public async Task One_prs_deliveries_run_in_order_with_superseded_pushes_skipped_while_other_prs_run_concurrently()
    {
        var handler = new RecordingHandler();
        handler.Gates[1] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await ServiceHost.StartAsync(_data.Path, handler);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(1, "a"))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await handler.Started.GetOrAdd(1, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(10));
        await host.PostAsync("pull_request", ServiceHost.PullRequest(1, "b"));
        await host.PostAsync("pull_request", ServiceHost.PullRequest(1, "c"));
        await host.PostAsync("pull_request", ServiceHost.PullRequest(2, "x"));

        await handler.WaitForAsync(1);
        handler.Handled.Single().Key.ShouldBe("acme/infra#2", "PR 2 is not held up by PR 1");

        handler.Gates[1].SetResult();
        await handler.WaitForAsync(3);
        await Task.Delay(300);
        handler.Handled.Where(h => h.Key == "acme/infra#1").Select(h => h.Head).ShouldBe(["a", "c"], "b was superseded by c before it ran");
    }

    private static string Comment(int number, string body, bool merged) =>
        $$"""{"action":"created","repository":{"full_name":"acme/infra"},"issue":{"number":{{number}},"state":"{{(merged ? "closed" : "open")}}","pull_request":{"url":"x","merged_at":{{(merged ? "\"2026-12-01T10:00:00Z\"" : "null")}} } },"comment":{"id":{{number * 100}},"body":"{{body}}","user":{"login":"carol","type":"User"},"created_at":"2026-12-01T10:00:01Z","updated_at":"2026-12-01T10:00:01Z"} }""";

    /// <summary>
    /// A command on a merged PR may apply what its merge left waiting: it runs on the repository's line
    /// with the pushes' applies (never beside one), while a command on an open PR keeps its PR's line.
    /// </summary>
    [Fact]
    public async Task A_command_on_a_merged_pr_waits_for_the_running_push_apply_of_its_repository_and_an_open_prs_does_not()
    {
        var handler = new RecordingHandler();
        handler.Gates[0] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // the push's apply, held
        await using var host = await ServiceHost.StartAsync(_data.Path, handler);
        (await host.PostAsync("push", """{"ref":"refs/heads/main","after":"1111111111111111111111111111111111111111","repository":{"full_name":"acme/infra","default_branch":"main"} }""")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await handler.Started.GetOrAdd(0, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(10));

        (await host.PostAsync("issue_comment", Comment(5, "/planbot apply", merged: true), delivery: "merged-apply")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await host.PostAsync("issue_comment", Comment(6, "/planbot plan", merged: false), delivery: "open-plan")).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        // the open PR's command, queued after the merged PR's, runs beside the push (a free slot); the merged PR's waits for the push
        await handler.WaitForAsync(1);
        handler.Handled.Single().Key.ShouldBe("acme/infra#6");
        handler.Started.ContainsKey(5).ShouldBeFalse("a merged PR's command never runs beside a push's apply");
        host.Queue.List("queued").Single().Id.ShouldBe("merged-apply");

        handler.Gates[0].SetResult();
        await handler.WaitForAsync(3);
        handler.Handled.Select(h => h.Key).ShouldBe(["acme/infra#6", "acme/infra", "acme/infra"], "the push, then the merged PR's command, on the repository's line");
    }

    [Fact]
    public async Task A_restart_loses_no_accepted_delivery()
    {
        var held = new RecordingHandler();
        held.Gates[3] = new TaskCompletionSource(); // never released: the process stops while it runs
        await using (var first = await ServiceHost.StartAsync(_data.Path, held))
        {
            (await first.PostAsync("pull_request", ServiceHost.PullRequest(3, "h3"), delivery: "kept")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
            await held.Started.GetOrAdd(3, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        held.Handled.ShouldBeEmpty();
        await using var second = await ServiceHost.StartAsync(_data.Path);
        await second.Handler.WaitForAsync(1);
        second.Handler.Handled.Single().Head.ShouldBe("h3");
        (await second.PostAsync("pull_request", ServiceHost.PullRequest(3, "h3"), delivery: "kept")).StatusCode.ShouldBe(HttpStatusCode.OK, "still known after the restart: not run again");
        second.Handler.Runs.Count.ShouldBe(1);
        second.Handler.Runs.Single().Attempt.ShouldBe(1, "a graceful stop gives the attempt back");
    }

    [Fact]
    public async Task Both_secrets_work_while_rotating_and_no_secret_refuses_to_start()
    {
        await using var host = await ServiceHost.StartAsync(_data.Path);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(1, "new"), secret: ServiceHost.Secret)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(2, "old"), secret: "old-secret")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(3, "x"), secret: "someone-elses")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await host.Handler.WaitForAsync(2);
        host.Handler.Handled.Select(h => h.Head).Order().ShouldBe(["new", "old"]);

        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Should.Throw<ArgumentException>(() => services.AddPlanBotServer(new ServerOptions { WebhookSecret = " , ", DataDir = _data.Path }))
            .Message.ShouldContain("PLANBOT_WEBHOOK_SECRET is required");
    }

    [Fact]
    public async Task An_oversized_body_is_413_and_reading_stops_at_the_cap_with_nothing_queued()
    {
        const long cap = 256 * 1024;
        await using var host = await ServiceHost.StartAsync(_data.Path, maxBody: cap);

        // announced too big: refused before a byte of the body is read
        var announced = new CountingContent(64L * 1024 * 1024, announceLength: true);
        var response = await SendQuietlyAsync(host, announced);
        (response is HttpStatusCode.RequestEntityTooLarge or null).ShouldBeTrue($"413 or the connection closed, got {response}");
        announced.Sent.ShouldBeLessThan(16L * 1024 * 1024, "none of it was read: the sender was cut off after what the socket buffers hold");

        // chunked, no length: the server stops reading at the cap; the sender is cut off long before its 64 MB
        var endless = new CountingContent(64L * 1024 * 1024, announceLength: false);
        var chunked = await SendQuietlyAsync(host, endless);
        (chunked is HttpStatusCode.RequestEntityTooLarge or null).ShouldBeTrue($"413 or the connection closed, got {chunked}");
        endless.Sent.ShouldBeLessThan(cap + 16L * 1024 * 1024, "the body was read no further than the cap (plus socket buffers)");
        host.Queue.List().ShouldBeEmpty();
    }

    [FixtureFact]
    public async Task Every_fixture_payload_signed_is_accepted_or_ignored_never_a_5xx_and_unreadable_ones_are_400()
    {
        await using var host = await ServiceHost.StartAsync(_data.Path);
        var answers = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Fixtures.Path("webhooks"), "*.json", SearchOption.AllDirectories).Where(f => !f.Contains("headers", StringComparison.Ordinal)).Order())
        {
            var eventName = Path.GetFileName(file).Split('.')[0];
            var status = (await host.PostAsync(eventName, File.ReadAllBytes(file))).StatusCode;
            answers.Add($"{Path.GetFileName(file)} {(int)status}");
            status.ShouldBeOneOf([HttpStatusCode.Accepted, HttpStatusCode.NoContent], Path.GetRelativePath(Fixtures.Path("webhooks"), file));
        }

        answers.Count.ShouldBeGreaterThan(150);
        (await host.PostAsync("ping", """{"zen":"x","hook_id":1,"hook":{"type":"App","id":1,"active":true,"events":[],"config":{}}}""")).StatusCode.ShouldBe(HttpStatusCode.NoContent, "a ping without deliveries_url (Octokit's models throw on it) is ignored");
        var noHead = await host.PostAsync("pull_request", """{"action":"opened","number":1,"repository":{"full_name":"acme/infra"},"pull_request":{"number":1,"base":{"sha":"b","ref":"main"}}}""");
        noHead.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await noHead.Content.ReadAsStringAsync()).ShouldContain("pull_request.head");
        (await host.PostAsync("pull_request", """{"action":"opened","number":1,"pull_request":{"number":"one"}}""")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await host.PostAsync("issue_comment", """{"action":"created","issue":{"number":[]},"comment":{}}""")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await host.PostAsync("push", "[1,2]")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private static async Task<HttpStatusCode?> SendQuietlyAsync(ServiceHost host, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = content };
        request.Headers.Add("X-GitHub-Event", "pull_request");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + new string('0', 64));
        try
        {
            using var response = await host.Http.SendAsync(request);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null; // the server answered and closed while the body was still being sent
        }
    }

    /// <summary>A JSON body of spaces that counts how much of it the server pulled.</summary>
    private sealed class CountingContent : HttpContent
    {
        private readonly long _length;
        private readonly bool _announce;

        public CountingContent(long length, bool announceLength)
        {
            _length = length;
            _announce = announceLength;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        public long Sent { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            while (Sent < _length)
            {
                await stream.WriteAsync(chunk);
                Sent += chunk.Length;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return _announce;
        }
    }

    public void Dispose() => _data.Dispose();
}
