namespace PlanBot.Server;

/// <summary>Where the webhook stores an accepted delivery before it answers: the embedded SQLite queue, or the replicas' shared queue.</summary>
public interface IIntakeQueue
{
    Task<EnqueueResult> TryEnqueueAsync(Delivery delivery);
}

/// <summary>One replica: the SQLite queue under PLANBOT_DATA_DIR, and the worker woken at once.</summary>
internal sealed class LocalIntake(DeliveryQueue queue, Worker worker) : IIntakeQueue
{
    public async Task<EnqueueResult> TryEnqueueAsync(Delivery delivery)
    {
        var stored = await queue.TryEnqueueAsync(delivery).ConfigureAwait(false);
        if (stored != EnqueueResult.Duplicate)
        {
            worker.Wake();
        }

        return stored;
    }
}

/// <summary>
/// N replicas: the id is recorded in the shared lease store first (a replay to any replica is a
/// duplicate), then the delivery is sent; when the send fails the record goes again, so GitHub's
/// retry or "Redeliver" is accepted, and the webhook answers 503 (nothing was stored).
/// </summary>
internal sealed class SharedIntake(SharedQueue shared) : IIntakeQueue
{
    public async Task<EnqueueResult> TryEnqueueAsync(Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (!await shared.Leases.TryRecordAsync(SharedQueue.SeenId(delivery.Id), SharedQueue.Remember, CancellationToken.None).ConfigureAwait(false))
        {
            return EnqueueResult.Duplicate;
        }

        try
        {
            await shared.Queue.SendAsync(SharedQueue.Encode(delivery), CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            await shared.Leases.ForgetAsync(SharedQueue.SeenId(delivery.Id), CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return EnqueueResult.Accepted;
    }
}
