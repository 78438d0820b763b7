using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// Says whether a delivery is superseded when its turn comes: a push whose head is no longer the PR's
/// head (a newer push exists, and its own delivery plans it). The shared queue is not FIFO, so this
/// keeps a PR's comment and status on its last push whatever order the replicas receive them in.
/// </summary>
public interface ISupersededCheck
{
    Task<bool> IsSupersededAsync(WebhookEvent parsed, CancellationToken cancellationToken);
}

/// <summary>Asks the code host for the PR's head.</summary>
public sealed class VcsSupersededCheck(IVcs vcs) : ISupersededCheck
{
    public async Task<bool> IsSupersededAsync(WebhookEvent parsed, CancellationToken cancellationToken) =>
        parsed is WebhookEvent.PullRequestChanged changed
        && await vcs.GetPullRequestAsync(changed.Repo, changed.PullRequest.Number, cancellationToken).ConfigureAwait(false) is { State: "open" } now
        && now.HeadSha != changed.PullRequest.HeadSha;
}

/// <summary>
/// The worker of a replica over the shared queue. For each received delivery, in order: done before
/// (a replica handled it and died before deleting it) → deleted; its PR's lease held by another
/// replica → hidden again for a moment (that PR's work runs one at a time, on one replica); its
/// attempts used up → parked (said on the PR, its id forgotten so GitHub's "Redeliver" runs it
/// again); superseded by a newer push → deleted; else handled under the lease, the lease and the
/// message's visibility renewed every third of <see cref="SharedQueue.Visibility"/> and every write
/// to GitHub fenced. Handled: recorded done, then deleted, then the lease released. A replica killed
/// at any point loses nothing: the message comes back after its visibility, the lease expires, and
/// another replica runs it (a re-run plans again and updates the one comment; applies are guarded by
/// the engine's locks and plan records under the delivery's stable run id).
/// </summary>
public sealed class SharedQueueWorker(SharedQueue shared, IDeliveryHandler handler, ServerOptions options, ILogger<SharedQueueWorker> logger, IDeadLetterNotice notice, TimeProvider time,
    ISupersededCheck? superseded = null) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly InFlightRuns _running = new();
    private int _busy;

    /// <summary>How long a delivery waits when its PR's lease is held elsewhere: short, so a PR's next push follows its run closely.</summary>
    private TimeSpan Backoff => TimeSpan.FromTicks(Math.Min(options.PollInterval.Ticks, shared.Visibility.Ticks / 4));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var free = options.Concurrency - Volatile.Read(ref _busy);
                IReadOnlyList<QueuedMessage> received = [];
                if (free > 0)
                {
                    try
                    {
                        received = await shared.Queue.ReceiveAsync(free, shared.Visibility, stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Log.QueueUnreachable(logger, e, shared.Queue.Name); // the readiness probe says so too; try again at the next poll
                    }
                }

                foreach (var message in received)
                {
                    Interlocked.Increment(ref _busy);
                    _running.Add(RunAsync(message, stoppingToken));
                }

                if (received.Count == 0 || Volatile.Read(ref _busy) >= options.Concurrency)
                {
                    await _wake.WaitAsync(options.PollInterval, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }

        await _running.DrainAsync(logger).ConfigureAwait(false);
    }

    private async Task RunAsync(QueuedMessage message, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await HandleAsync(message, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: the message comes back after its visibility (or at once, when HandleAsync could say so)
        }
#pragma warning disable CA1031 // the queue or lease store failing for one message must not stop the worker; the message comes back
        catch (Exception e)
        {
            Log.Failed(logger, e, message.Id, shared.Queue.Name, message.DequeueCount);
        }
#pragma warning restore CA1031
        finally
        {
            Interlocked.Decrement(ref _busy);
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
    }

    private async Task HandleAsync(QueuedMessage message, CancellationToken stoppingToken)
    {
        if (SharedQueue.Decode(message.Body) is not { } delivery)
        {
            Log.Unreadable(logger, message.Id, shared.Queue.Name);
            await shared.Queue.DeleteAsync(message, stoppingToken).ConfigureAwait(false); // not a delivery of ours: nothing can run it
            return;
        }

        if (await shared.Leases.IsRecordedAsync(SharedQueue.DoneId(delivery.Id), stoppingToken).ConfigureAwait(false))
        {
            await shared.Queue.DeleteAsync(message, stoppingToken).ConfigureAwait(false);
            return;
        }

        var key = SharedQueue.LeaseKey(delivery);
        var lease = await shared.Leases.TryAcquireAsync(key, $"{shared.Replica}/{delivery.Id}", shared.Visibility, stoppingToken).ConfigureAwait(false);
        if (lease is null)
        {
            await shared.Queue.HideAsync(message, Backoff, stoppingToken).ConfigureAwait(false); // the PR's work runs elsewhere now: after it
            return;
        }

        var parsed = WebhookParser.Parse(delivery.Event, delivery.Body);
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var current = message;
        var beats = BeatAsync();
        var watch = Stopwatch.StartNew();
        var release = true;
        try
        {
            var attempt = await CountAttemptAsync(delivery.Id, stoppingToken).ConfigureAwait(false);
            if (attempt is null)
            {
                await ParkAsync(delivery, parsed, $"it was started {options.MaxAttempts} times without finishing (failures, or replicas that died in it)", stoppingToken).ConfigureAwait(false);
                await shared.Queue.DeleteAsync(current, stoppingToken).ConfigureAwait(false);
                return;
            }

            if (superseded is not null && await superseded.IsSupersededAsync(parsed, heartbeat.Token).ConfigureAwait(false))
            {
                Log.Known(logger, delivery.Id, delivery.Event, delivery.Repo, "superseded by a newer push to the PR: not planned");
            }
            else
            {
                using (FencedVcs.Enter(new Fence(shared.Leases, lease, shared.Visibility)))
                {
                    await handler.HandleAsync(delivery with { Attempt = attempt.Value }, parsed, heartbeat.Token).ConfigureAwait(false);
                }
            }

            await shared.Leases.TryRecordAsync(SharedQueue.DoneId(delivery.Id), SharedQueue.Remember, CancellationToken.None).ConfigureAwait(false);
            await StopBeatingAsync().ConfigureAwait(false);
            await shared.Queue.DeleteAsync(current, CancellationToken.None).ConfigureAwait(false);
            Log.Done(logger, delivery.Id, key, watch.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is LeaseLostException || (e is OperationCanceledException && heartbeat.IsCancellationRequested && !stoppingToken.IsCancellationRequested))
        {
            release = false; // a newer holder runs this PR's work; the message comes back to whoever it finds
            Log.LeaseLost(logger, delivery.Id, key, lease.Token);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await StopBeatingAsync().ConfigureAwait(false);
            await ForgetAttemptAsync(delivery.Id).ConfigureAwait(false); // stopped, not failed: the attempt is given back
            await shared.Queue.HideAsync(current, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false); // another replica takes it now
        }
#pragma warning disable CA1031 // one failed delivery must not stop the service; it is logged with its id and retried
        catch (Exception e)
        {
            await StopBeatingAsync().ConfigureAwait(false);
            Log.Failed(logger, e, delivery.Id, key, message.DequeueCount);
            var wait = DeliveryFailures.IsOutage(e) ? options.OutageRetries.FirstOrDefault(options.FailureBackoff) : options.FailureBackoff;
            if (DeliveryFailures.IsOutage(e))
            {
                await ForgetAttemptAsync(delivery.Id).ConfigureAwait(false); // an outage says nothing about the delivery
            }

            await shared.Queue.HideAsync(current, wait, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning restore CA1031
        finally
        {
            await StopBeatingAsync().ConfigureAwait(false);
            if (release)
            {
                await shared.Leases.ReleaseAsync(lease, CancellationToken.None).ConfigureAwait(false);
            }
        }

        async Task BeatAsync()
        {
            try
            {
                while (true)
                {
                    await Task.Delay(shared.Visibility / 3, time, heartbeat.Token).ConfigureAwait(false);
                    if (!await shared.Leases.RenewAsync(lease, shared.Visibility, heartbeat.Token).ConfigureAwait(false))
                    {
                        await heartbeat.CancelAsync().ConfigureAwait(false); // lost: the run stops before its next write
                        return;
                    }

                    current = await shared.Queue.HideAsync(current, shared.Visibility, heartbeat.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        async Task StopBeatingAsync()
        {
            if (!beats.IsCompleted)
            {
                beats = StopAsync(beats);
            }

            await beats.ConfigureAwait(false);
        }

        async Task StopAsync(Task running)
        {
            // a cancelled heartbeat would read as a lost lease: only cancel it once the run is over
            await heartbeat.CancelAsync().ConfigureAwait(false);
            await running.ConfigureAwait(false);
        }
    }

    /// <summary>This start's attempt number (1, 2, …), counted in the lease store so a replica's death counts too; null when used up.</summary>
    private async Task<int?> CountAttemptAsync(string delivery, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            if (await shared.Leases.TryRecordAsync(SharedQueue.AttemptId(delivery, attempt), SharedQueue.Remember, cancellationToken).ConfigureAwait(false))
            {
                return attempt;
            }
        }

        return null;
    }

    private async Task ForgetAttemptAsync(string delivery)
    {
        for (var attempt = options.MaxAttempts; attempt >= 1; attempt--)
        {
            if (await shared.Leases.IsRecordedAsync(SharedQueue.AttemptId(delivery, attempt), CancellationToken.None).ConfigureAwait(false))
            {
                await shared.Leases.ForgetAsync(SharedQueue.AttemptId(delivery, attempt), CancellationToken.None).ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>Given up: said on the PR, and the id forgotten so GitHub's "Redeliver" is accepted as new (the body is not kept on a shared queue).</summary>
    private async Task ParkAsync(Delivery delivery, WebhookEvent parsed, string why, CancellationToken cancellationToken)
    {
        Log.Parked(logger, delivery.Id, why);
        for (var attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            await shared.Leases.ForgetAsync(SharedQueue.AttemptId(delivery.Id, attempt), cancellationToken).ConfigureAwait(false);
        }

        await shared.Leases.ForgetAsync(SharedQueue.SeenId(delivery.Id), cancellationToken).ConfigureAwait(false);
        try
        {
            await notice.NotifyAsync(delivery, parsed, why + "; redeliver it from the webhook's Recent Deliveries once the cause is fixed", cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the notice is a courtesy: the delivery is parked either way and the log says so
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.NoticeFailed(logger, e, delivery.Id);
        }
#pragma warning restore CA1031
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
