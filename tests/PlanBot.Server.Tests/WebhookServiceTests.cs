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

        (await host.PostAsync("pull_request", json, delivery: "d-1")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await host.PostAsync("pull_request", json, delivery: "d-1")).StatusCode.ShouldBe(HttpStatusCode.Conflict); // a replay
        (await host.PostAsync("pull_request", json + new string(' ', 70 * 1024))).StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);

        await host.Handler.WaitForAsync(1);
        host.Handler.Handled.Select(h => h.Key).ShouldBe(["acme/infra#1"], "only the accepted delivery ran");
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
        (await second.PostAsync("pull_request", ServiceHost.PullRequest(3, "h3"), delivery: "kept")).StatusCode.ShouldBe(HttpStatusCode.Conflict, "still known after the restart");
    }

    public void Dispose() => _data.Dispose();
}
