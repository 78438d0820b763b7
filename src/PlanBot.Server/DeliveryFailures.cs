using Microsoft.Extensions.Logging;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// What happens to a delivery whose handler threw: an outage (GitHub or the network unavailable) is
/// retried on <see cref="ServerOptions.OutageRetries"/> without counting as an attempt, then failed
/// with its body kept; any other failure is retried after <see cref="ServerOptions.FailureBackoff"/>
/// until <see cref="ServerOptions.MaxAttempts"/>, then parked. A delivery that crashed the process
/// N times is parked at the next start. Parked and failed deliveries are said on their PR.
/// </summary>
public sealed class DeliveryFailures(DeliveryQueue queue, IDeadLetterNotice notice, ServerOptions options, TimeProvider time, ILogger<DeliveryFailures> logger)
{
    /// <summary>A failure that says nothing about the delivery: the code host or the network was unavailable.</summary>
    public static bool IsOutage(Exception error) => error switch
    {
        VcsException { Status: >= 500 or 429 or 408 } => true,
        VcsException { Status: null, InnerException: { } inner } => IsOutage(inner),
        HttpRequestException or TimeoutException or System.Net.Sockets.SocketException => true,
        TaskCanceledException { InnerException: TimeoutException } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsOutage),
        _ => false,
    };

    public async Task FailedAsync(Delivery delivery, Exception error, CancellationToken cancellationToken)
    {
        var why = $"{error.GetType().Name}: {error.Message}";
        if (IsOutage(error))
        {
            var retries = queue.Retries(delivery.Id);
            if (retries < options.OutageRetries.Count)
            {
                var wait = options.OutageRetries[retries];
                Log.OutageRetry(logger, delivery.Id, retries + 1, options.OutageRetries.Count, (long)wait.TotalSeconds, why);
                queue.Retry(delivery.Id, time.GetUtcNow() + wait, why, outage: true);
                return;
            }

            var total = options.OutageRetries.Aggregate(TimeSpan.Zero, (sum, next) => sum + next);
            var failed = $"GitHub stayed unavailable through {retries} retries over {total.TotalMinutes:0.#} minutes ({why})";
            Log.GaveUp(logger, delivery.Id, "failed", failed);
            queue.Stop(delivery.Id, "failed", failed);
            await NotifyAsync(delivery, failed, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (delivery.Attempt >= options.MaxAttempts)
        {
            var parked = $"it failed {delivery.Attempt} times; the last time with {why}";
            Log.GaveUp(logger, delivery.Id, "parked", parked);
            queue.Stop(delivery.Id, "parked", parked);
            await NotifyAsync(delivery, parked, cancellationToken).ConfigureAwait(false);
            return;
        }

        queue.Retry(delivery.Id, time.GetUtcNow() + options.FailureBackoff, why, outage: false);
    }

    /// <summary>Parks the deliveries whose attempts ran out by crashing the process, and says so on their PRs.</summary>
    public async Task ParkExhaustedAsync(CancellationToken cancellationToken)
    {
        foreach (var delivery in queue.TakeExhausted(options.MaxAttempts))
        {
            var why = $"the service stopped while it ran, {delivery.Attempt} times (a crash or kill -9 each time): parked so the service keeps serving";
            Log.GaveUp(logger, delivery.Id, "parked", why);
            queue.Stop(delivery.Id, "parked", why);
            await NotifyAsync(delivery, why, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task NotifyAsync(Delivery delivery, string why, CancellationToken cancellationToken)
    {
        try
        {
            await notice.NotifyAsync(delivery, WebhookParser.Parse(delivery.Event, delivery.Body), why, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the notice is a courtesy: the delivery is parked either way and `planbot queue list` shows it
        catch (Exception e)
        {
            Log.NoticeFailed(logger, e, delivery.Id);
        }
#pragma warning restore CA1031
    }
}
