using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// Says on the PR that the service gave up on a delivery (parked after N attempts, or failed after
/// the outage retries): the handler provides it, since it knows how to reach the PR. Its own failure
/// is logged, never retried: the delivery is parked either way and `planbot queue list` shows it.
/// </summary>
public interface IDeadLetterNotice
{
    Task NotifyAsync(Delivery delivery, WebhookEvent parsed, string why, CancellationToken cancellationToken);
}

/// <summary>No PR to tell (tests, or a service without a code host): the log line is all.</summary>
public sealed class NoDeadLetterNotice : IDeadLetterNotice
{
    public Task NotifyAsync(Delivery delivery, WebhookEvent parsed, string why, CancellationToken cancellationToken) => Task.CompletedTask;
}
