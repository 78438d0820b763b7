using Microsoft.Extensions.Logging;

namespace PlanBot.Server;

/// <summary>
/// The deliveries a worker is running: each one started is kept until it ends (finished ones are
/// dropped at the next start, so a long-lived service does not keep every task it ever ran), and a
/// stopping worker waits for the ones still running.
/// </summary>
internal sealed class InFlightRuns
{
    private readonly List<Task> _running = [];

    public void Add(Task run)
    {
        lock (_running)
        {
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(run);
        }
    }

    public async Task DrainAsync(ILogger logger)
    {
        Task[] inFlight;
        lock (_running)
        {
            inFlight = [.. _running];
        }

        Log.Stopping(logger, inFlight.Count(t => !t.IsCompleted));
        await Task.WhenAll(inFlight).ConfigureAwait(false);
    }
}
