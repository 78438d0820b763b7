using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// Runs queued deliveries in the background: one at a time per PR (in arrival order, an older push
/// skipped when a newer one for the same PR is queued), up to <see cref="ServerOptions.Concurrency"/>
/// PRs at once. On shutdown it stops taking work and cancels what runs; those deliveries stay
/// queued in the database and run again at the next start. A delivery that throws goes to
/// <see cref="DeliveryFailures"/> (retried, then failed or parked); the service keeps serving.
/// </summary>
public sealed class Worker(DeliveryQueue queue, IDeliveryHandler handler, ServerOptions options, ILogger<Worker> logger, DeliveryFailures failures, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(50);

    private readonly SemaphoreSlim _wake = new(0);
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);
    private readonly InFlightRuns _running = new();

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await failures.ParkExhaustedAsync(stoppingToken).ConfigureAwait(false);
                IReadOnlyList<Delivery> next;
                lock (_busy)
                {
                    next = _busy.Count >= options.Concurrency ? [] : queue.TakeNext(_busy, options.Concurrency - _busy.Count, time.GetUtcNow(), options.MaxAttempts);
                    foreach (var delivery in next)
                    {
                        _busy.Add(DeliveryQueue.KeyOf(delivery));
                    }
                }

                foreach (var delivery in next)
                {
                    _running.Add(RunAsync(delivery, stoppingToken));
                }

                if (await _wake.WaitAsync(options.PollInterval, stoppingToken).ConfigureAwait(false))
                {
                    // let a burst of deliveries land first: fewer queue transactions, more superseded pushes
                    await Task.Delay(Debounce, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }

        await _running.DrainAsync(logger).ConfigureAwait(false);
    }

    private async Task RunAsync(Delivery delivery, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var key = DeliveryQueue.KeyOf(delivery);
        var watch = Stopwatch.StartNew();
        try
        {
            await handler.HandleAsync(delivery, WebhookParser.Parse(delivery.Event, delivery.Body), stoppingToken).ConfigureAwait(false);
            queue.Complete(delivery.Id);
            Log.Done(logger, delivery.Id, key, watch.ElapsedMilliseconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            queue.Requeue(delivery.Id); // stopped, not failed: runs again at the next start without counting an attempt
        }
#pragma warning disable CA1031 // one failed delivery must not stop the service; it is logged with its id
        catch (Exception e)
        {
            Log.Failed(logger, e, delivery.Id, key, delivery.Attempt);
            await failures.FailedAsync(delivery, e, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning restore CA1031
        finally
        {
            lock (_busy)
            {
                _busy.Remove(key);
            }

            Wake();
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
