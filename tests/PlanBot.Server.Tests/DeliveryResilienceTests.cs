using System.Net;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Server.Tests;

/// <summary>Issue 14 item 3: poison, crashes, outages and redeliveries never stop the service or lose a delivery.</summary>
public sealed class DeliveryResilienceTests : IDisposable
{
    private readonly TempDir _data = new("planbot-queue");

    [Fact]
    public async Task A_poison_delivery_is_parked_after_its_attempts_and_a_good_one_behind_it_is_processed()
    {
        var handler = new RecordingHandler();
        handler.Throws[9] = () => new InvalidOperationException("the HCL reader blew up");
        await using var host = await ServiceHost.StartAsync(_data.Path, handler);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(9, "bad"), delivery: "poison")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(10, "good"), delivery: "good")).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        (await RecordingHandler.EventuallyAsync(() => host.Queue.Count("parked") == 1)).ShouldBeTrue("the poison delivery ends parked");
        await handler.WaitForAsync(1);
        handler.Handled.Select(h => h.Head).ShouldBe(["good"]);
        handler.Runs.Where(r => r.Id == "poison").Select(r => r.Attempt).ShouldBe([1, 2, 3], "three attempts, then parked");
        handler.Runs.Where(r => r.Id == "poison").Select(r => r.RunId).Distinct().Count().ShouldBe(1, "every attempt uses the delivery's run id");
        // the dead letter is said on the PR after the delivery is parked: wait for it, do not race it
        (await RecordingHandler.EventuallyAsync(() => !handler.DeadLetters.IsEmpty)).ShouldBeTrue();
        var dead = handler.DeadLetters.ShouldHaveSingleItem();
        (dead.Id, dead.PullRequest).ShouldBe(("poison", (int?)9));
        dead.Why.ShouldContain("the HCL reader blew up");
        var entry = host.Queue.List("parked").ShouldHaveSingleItem();
        entry.HasBody.ShouldBeTrue("a parked delivery keeps its body for `planbot queue retry`");

        // the service still serves, and the operator's retry runs it again once the cause is fixed
        handler.Throws.TryRemove(9, out _);
        host.Queue.RetryNow("poison").ShouldBeTrue();
        (await RecordingHandler.EventuallyAsync(() => handler.Handled.Any(h => h.Head == "bad"))).ShouldBeTrue();
        host.Queue.RetryNow("good").ShouldBeFalse("a done delivery has nothing to retry");
    }

    [Fact]
    public async Task A_delivery_that_crashes_the_process_every_time_is_parked_at_the_next_start_instead_of_a_crash_loop()
    {
        var queueFile = Path.Combine(_data.Path, "state", "queue.db");
        var body = System.Text.Encoding.UTF8.GetBytes(ServiceHost.PullRequest(4, "tf-bomb"));
        string? runId = null;
        for (var crash = 1; crash <= 3; crash++)
        {
            // a process that takes the delivery and dies in it (stack overflow, kill -9): no Complete, no Requeue
            using var queue = new DeliveryQueue(queueFile);
            if (crash == 1)
            {
                (await queue.TryEnqueueAsync(new Delivery("bomb", "pull_request", "acme/infra", 4, body, DateTimeOffset.UtcNow))).ShouldBe(EnqueueResult.Accepted);
            }

            var taken = queue.TakeNext(new HashSet<string>(), 4, DateTimeOffset.UtcNow, 3).ShouldHaveSingleItem();
            taken.Attempt.ShouldBe(crash);
            (runId ??= taken.RunId).ShouldBe(taken.RunId, "the same run id on every attempt");
        }

        var handler = new RecordingHandler();
        await using var host = await ServiceHost.StartAsync(_data.Path, handler);
        (await RecordingHandler.EventuallyAsync(() => !handler.DeadLetters.IsEmpty)).ShouldBeTrue();
        handler.DeadLetters.Single().Why.ShouldContain("3 times");
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(5, "fine"))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await handler.WaitForAsync(1);
        handler.Handled.Select(h => h.Head).ShouldBe(["fine"], "the service keeps serving; the bomb never ran again");
        host.Queue.List("parked").ShouldHaveSingleItem().Id.ShouldBe("bomb");
    }

    [Fact]
    public async Task A_re_run_after_kill_9_holds_its_dead_runs_lease_so_a_good_result_is_not_overwritten_with_locked()
    {
        var queueFile = Path.Combine(_data.Path, "state", "queue.db");
        var locks = new SqliteLockStore(Path.Combine(_data.Path, "state", "locks.db"), TimeProvider.System);
        var key = new LockKey(LockKind.Run, "acme/infra", "prod", "default");
        using (var queue = new DeliveryQueue(queueFile))
        {
            await queue.TryEnqueueAsync(new Delivery("plan-7", "pull_request", "acme/infra", 7, System.Text.Encoding.UTF8.GetBytes(ServiceHost.PullRequest(7, "h7")), DateTimeOffset.UtcNow));
            var dying = queue.TakeNext(new HashSet<string>(), 4, DateTimeOffset.UtcNow, 3).Single();
            // the dead run took its lease and never released it (renewals stopped with the process)
            (await locks.AcquireAsync(key, new LockOwner("acme/infra", 7, "h7", "alice", dying.RunId), RunLease.Ttl, default)).ShouldBeOfType<LockResult.Acquired>();
        }

        var results = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var handler = new LeaseHandler(locks, key, results);
        await using var host = await ServiceHost.StartAsync(_data.Path, options: ServiceHost.Options(_data.Path), handler: null, lease: handler);
        (await RecordingHandler.EventuallyAsync(() => !results.IsEmpty)).ShouldBeTrue();
        results.ToArray().ShouldBe(["planned"], "the re-run recognises its own dead run's lease instead of reporting 'terraform is already running'");
    }

    [Fact]
    public async Task An_outage_is_retried_on_the_schedule_then_failed_with_its_body_and_a_redelivery_runs_it_again()
    {
        var handler = new RecordingHandler();
        handler.Throws[6] = () => new VcsException("GitHub POST /repos/acme/infra/statuses: HTTP 502", 502);
        await using var host = await ServiceHost.StartAsync(_data.Path, handler);
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(6, "h6"), delivery: "outage")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await RecordingHandler.EventuallyAsync(() => host.Queue.Count("failed") == 1)).ShouldBeTrue();
        handler.Runs.Count(r => r.Id == "outage").ShouldBe(3, "the first run and two retries (the test schedule)");
        handler.Runs.Where(r => r.Id == "outage").Select(r => r.Attempt).ShouldAllBe(a => a == 1, "outage retries are not attempts");
        var failed = host.Queue.List("failed").Single();
        failed.HasBody.ShouldBeTrue();
        failed.LastError!.ShouldContain("GitHub stayed unavailable");
        (await RecordingHandler.EventuallyAsync(() => !handler.DeadLetters.IsEmpty)).ShouldBeTrue("the failure is said on the PR after the delivery is marked failed");
        handler.DeadLetters.ShouldHaveSingleItem();

        handler.Throws.TryRemove(6, out _); // GitHub is back; the operator presses "Redeliver"
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(6, "h6"), delivery: "outage")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await handler.WaitForAsync(1);
        handler.Handled.Single().Head.ShouldBe("h6");
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(6, "h6"), delivery: "outage")).StatusCode.ShouldBe(HttpStatusCode.OK, "done now: a further replay does not run");
    }

    [Fact]
    public void Outages_are_told_from_failures()
    {
        DeliveryFailures.IsOutage(new VcsException("HTTP 503", 503)).ShouldBeTrue();
        DeliveryFailures.IsOutage(new VcsException("GitHub GET /x: connection refused", new HttpRequestException("refused"))).ShouldBeTrue();
        DeliveryFailures.IsOutage(new HttpRequestException("reset")).ShouldBeTrue();
        DeliveryFailures.IsOutage(new VcsException("HTTP 422 validation failed", 422)).ShouldBeFalse();
        DeliveryFailures.IsOutage(new InvalidOperationException("bug")).ShouldBeFalse();
    }

    public void Dispose() => _data.Dispose();

    /// <summary>What PlanWorkflow does per project: take the run lease as this delivery's run, or report it locked.</summary>
    private sealed class LeaseHandler(ILockStore locks, LockKey key, System.Collections.Concurrent.ConcurrentQueue<string> results) : IDeliveryHandler
    {
        public async Task HandleAsync(Delivery delivery, GitHub.Webhooks.WebhookEvent parsed, CancellationToken cancellationToken)
        {
            var (lease, held) = await RunLease.TakeAsync(locks, key, new LockOwner(parsed.Repo, parsed.PullRequestNumber ?? 0, "h7", "alice", delivery.RunId), cancellationToken);
            if (lease is null)
            {
                results.Enqueue($"locked: terraform is already running (run {held!.Owner.RunId})");
                return;
            }

            await using (lease)
            {
                results.Enqueue("planned");
            }
        }
    }
}
