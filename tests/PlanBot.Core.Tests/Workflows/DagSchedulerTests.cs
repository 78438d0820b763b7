using PlanBot.Core.Runs;
using PlanBot.Core.Workflows;

namespace PlanBot.Core.Tests.Workflows;

public class DagSchedulerTests
{
    private sealed record Result(string Name, bool Succeeded, string? Skipped = null) : IScheduledResult;

    private static readonly Dictionary<string, string[]> Deps = new()
    {
        ["net"] = [], ["dns"] = [], ["app"] = ["net"], ["web"] = ["app", "dns"], ["solo"] = [],
    };

    private static readonly string[] Order = ["dns", "net", "solo", "app", "web"];

    [Fact]
    public async Task Runs_every_project_after_its_dependencies()
    {
        var finished = new List<string>();
        await DagScheduler.RunAsync(Order, n => Deps[n], 4, async (n, ct) =>
        {
            await Task.Delay(n == "net" ? 50 : 5, ct);
            lock (finished)
            {
                finished.Add(n);
            }

            return new Result(n, true);
        }, (n, why) => new Result(n, false, why), CancellationToken.None);
        finished.IndexOf("app").ShouldBeGreaterThan(finished.IndexOf("net"));
        finished.IndexOf("web").ShouldBeGreaterThan(finished.IndexOf("app"));
        finished.IndexOf("web").ShouldBeGreaterThan(finished.IndexOf("dns"));
    }

    [Fact]
    public async Task Never_runs_more_than_parallelism_at_once()
    {
        var running = 0;
        var peak = 0;
        var order = Enumerable.Range(0, 12).Select(i => $"p{i}").ToArray();
        await DagScheduler.RunAsync(order, _ => [], 3, async (n, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            lock (order)
            {
                peak = Math.Max(peak, now);
            }

            await Task.Delay(20, ct);
            Interlocked.Decrement(ref running);
            return new Result(n, true);
        }, (n, why) => new Result(n, false, why), CancellationToken.None);
        peak.ShouldBe(3);
    }

    [Fact]
    public async Task Dependents_of_a_failure_are_skipped_with_the_reason_and_others_still_run()
    {
        var results = await DagScheduler.RunAsync(Order, n => Deps[n], 2,
            (n, _) => Task.FromResult(new Result(n, n != "net")),
            (n, why) => new Result(n, false, why), CancellationToken.None);
        results["app"].Skipped.ShouldBe("depends on net, which did not succeed");
        results["web"].Skipped.ShouldBe("depends on app, which did not succeed");
        results["dns"].Succeeded.ShouldBeTrue();
        results["solo"].Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task Cancelling_skips_what_has_not_started()
    {
        using var cancel = new CancellationTokenSource();
        var results = await DagScheduler.RunAsync(Order, n => Deps[n], 1, async (n, ct) =>
        {
            await cancel.CancelAsync();
            return new Result(n, true);
        }, (n, why) => new Result(n, false, why), cancel.Token);
        results.Values.Count(r => r.Succeeded).ShouldBe(1);
        results.Values.Count(r => r.Skipped is not null).ShouldBe(4);
    }
}
