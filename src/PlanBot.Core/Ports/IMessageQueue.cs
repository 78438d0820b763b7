namespace PlanBot.Core.Ports;

/// <summary>
/// A shared, at-least-once message queue between the service's replicas (Azure Queue Storage or Amazon SQS;
/// the embedded SQLite queue of one replica is PlanBot.Server's own). A received message is hidden for
/// its visibility timeout and comes back (with <see cref="QueuedMessage.DequeueCount"/> counted) unless
/// it is deleted: a replica that dies mid-run loses nothing, so whoever handles a message must be idempotent.
/// </summary>
public interface IMessageQueue
{
    /// <summary>What the readiness probe and `planbot queue` name: the queue's URL without credentials.</summary>
    string Name { get; }

    Task SendAsync(byte[] message, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> visible messages, each hidden from other receivers for <paramref name="visibility"/>.</summary>
    Task<IReadOnlyList<QueuedMessage>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken cancellationToken);

    /// <summary>Keeps a message hidden for another <paramref name="visibility"/> (the heartbeat of a long run); the returned message carries the new receipt.</summary>
    Task<QueuedMessage> HideAsync(QueuedMessage message, TimeSpan visibility, CancellationToken cancellationToken);

    /// <summary>Handled: gone for good.</summary>
    Task DeleteAsync(QueuedMessage message, CancellationToken cancellationToken);

    /// <summary>Throws when the queue cannot be reached (the readiness probe).</summary>
    Task PingAsync(CancellationToken cancellationToken);
}

/// <param name="Id">The queue's message id.</param>
/// <param name="Receipt">What deleting or hiding this receipt of the message needs (Azure's pop receipt, SQS's receipt handle).</param>
/// <param name="DequeueCount">How often it was received, this time included.</param>
public sealed record QueuedMessage(string Id, string Receipt, byte[] Body, int DequeueCount);
