using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>Does the work of one accepted delivery (plan, command, cleanup), in the background.</summary>
public interface IDeliveryHandler
{
    Task HandleAsync(Delivery delivery, WebhookEvent parsed, CancellationToken cancellationToken);
}
