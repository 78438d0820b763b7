using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using PlanBot.Core.Ports;

namespace PlanBot.Azure.Queues;

/// <summary>
/// The service's shared queue on Azure Queue Storage. Messages are base64 text (the queue's own
/// encoding) and at most 64 KB each: a larger delivery is refused by <see cref="SendAsync"/> with
/// the reason, so the webhook answers 503 and nothing is half-stored. A received message is hidden
/// for its visibility timeout; <see cref="HideAsync"/> is the heartbeat of a long run and gives a new
/// pop receipt, which deleting then needs.
/// </summary>
public sealed class AzureMessageQueue(QueueClient client) : IMessageQueue
{
    /// <summary>Azure's cap on one message, after base64.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    private readonly SemaphoreSlim _created = new(1, 1);
    private bool _exists;

    public string Name => client.Uri.GetLeftPart(UriPartial.Path);

    public async Task SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = Convert.ToBase64String(message);
        if (text.Length > MaxMessageBytes)
        {
            throw new ArgumentException($"the delivery is {message.Length:N0} bytes; an Azure queue message holds at most 48 KB of it: use PLANBOT_QUEUE_BACKEND=sqlite for a single replica, or a smaller webhook (only the events PlanBot needs)");
        }

        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        await client.SendMessageAsync(text, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<QueuedMessage>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var response = await client.ReceiveMessagesAsync(Math.Clamp(max, 1, 32), visibility, cancellationToken).ConfigureAwait(false);
        return [.. response.Value.Select(m => new QueuedMessage(m.MessageId, m.PopReceipt, Decode(m.Body), (int)m.DequeueCount))];
    }

    public async Task<QueuedMessage> HideAsync(QueuedMessage message, TimeSpan visibility, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var updated = await client.UpdateMessageAsync(message.Id, message.Receipt, visibilityTimeout: visibility, cancellationToken: cancellationToken).ConfigureAwait(false);
        return message with { Receipt = updated.Value.PopReceipt };
    }

    public async Task DeleteAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await client.DeleteMessageAsync(message.Id, message.Receipt, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // deleted already (a replica that handled it too, after our visibility ran out): gone is gone
        }
    }

    public async Task PingAsync(CancellationToken cancellationToken) =>
        await client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Creates the queue once, at first use (needs the Storage Queue Data Contributor role, or an account key).</summary>
    private async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_exists)
        {
            return;
        }

        await _created.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_exists)
            {
                await client.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                _exists = true;
            }
        }
        finally
        {
            _created.Release();
        }
    }

    private static byte[] Decode(BinaryData body)
    {
        try
        {
            return Convert.FromBase64String(body.ToString());
        }
        catch (FormatException)
        {
            return body.ToArray(); // not ours (someone else's text on the queue): the worker parks it as unreadable
        }
    }
}
