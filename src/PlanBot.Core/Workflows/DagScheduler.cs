using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>
/// Runs a DAG of projects: each starts as soon as everything it depends on has succeeded (not at
/// level boundaries, so wall time follows the critical path), at most <c>parallelism</c> at once.
/// Dependents of a failure are skipped with the reason; cancellation skips what has not started.
/// </summary>
public static class DagScheduler
{
    public static async Task<IReadOnlyDictionary<string, TResult>> RunAsync<TResult>(
        IReadOnlyList<string> topologicalOrder,
        Func<string, IReadOnlyList<string>> dependencies,
        int parallelism,
        Func<string, CancellationToken, Task<TResult>> run,
        Func<string, string, TResult> skipped,
        CancellationToken cancellationToken)
        where TResult : IScheduledResult
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        using var slots = new SemaphoreSlim(parallelism);
        var tasks = new Dictionary<string, Task<TResult>>(StringComparer.Ordinal);
        foreach (var node in topologicalOrder)
        {
            var waitFor = dependencies(node).Select(d => (Name: d, Task: tasks[d])).ToArray();
            tasks[node] = RunNodeAsync(node, waitFor);
        }

        await Task.WhenAll(tasks.Values).ConfigureAwait(false);
        return tasks.ToDictionary(kv => kv.Key, kv => kv.Value.Result, StringComparer.Ordinal);

        async Task<TResult> RunNodeAsync(string node, (string Name, Task<TResult> Task)[] waitFor)
        {
            await Task.Yield();
            foreach (var (name, task) in waitFor)
            {
                var result = await task.ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    return skipped(node, $"depends on {name}, which did not succeed");
                }
            }

            try
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return skipped(node, "cancelled before it started");
            }

            try
            {
                return cancellationToken.IsCancellationRequested
                    ? skipped(node, "cancelled before it started")
                    : await run(node, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        }
    }
}
