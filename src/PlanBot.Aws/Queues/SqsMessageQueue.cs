using Amazon.SQS;
using Amazon.SQS.Model;
using PlanBot.Core.Ports;

namespace PlanBot.Aws.Queues;

/// <summary>
/// The service's shared queue on an Amazon SQS standard queue. Messages are base64 text (SQS bodies
/// are text, and only some characters) and at most 256 KiB each: a larger delivery is refused by
/// <see cref="SendAsync"/> with the reason, so the webhook answers 400 and nothing is half-stored.
/// A received message is hidden for its visibility timeout; <see cref="HideAsync"/> is the heartbeat
/// of a long run (SQS keeps the receipt handle, unlike Azure's pop receipt). The queue is not created
/// here: it is infrastructure the platform team declares (retention, encryption, an optional redrive
/// policy, and long polling: its ReceiveMessageWaitTimeSeconds, which receives here leave to the
/// queue), so the service needs no sqs:CreateQueue.
/// </summary>
public sealed class SqsMessageQueue(IAmazonSQS client, Uri queueUrl) : IMessageQueue
{
    /// <summary>SQS's long-standing cap on one message (queues may now allow 1 MiB; 256 KiB fits any queue at its old default or more), after base64.</summary>
    public const int MaxMessageBytes = 256 * 1024;

    /// <summary>SQS's cap on one message's visibility timeout (12 h).</summary>
    private const int MaxVisibilitySeconds = 12 * 60 * 60;

    private readonly string _url = queueUrl.ToString();

    public string Name => queueUrl.GetLeftPart(UriPartial.Path);

    public async Task SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = Convert.ToBase64String(message);
        if (text.Length > MaxMessageBytes)
        {
            throw new ArgumentException($"the delivery is {message.Length:N0} bytes; an SQS message holds at most 192 KB of it: use PLANBOT_QUEUE_BACKEND=sqlite for a single replica, or a smaller webhook (only the events PlanBot needs)");
        }

        await client.SendMessageAsync(new SendMessageRequest { QueueUrl = _url, MessageBody = text }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<QueuedMessage>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken cancellationToken)
    {
        var response = await client.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = _url,
            MaxNumberOfMessages = Math.Clamp(max, 1, 10),
            VisibilityTimeout = Seconds(visibility),
            MessageSystemAttributeNames = [MessageSystemAttributeName.ApproximateReceiveCount],
        }, cancellationToken).ConfigureAwait(false);
        return [.. (response.Messages ?? []).Select(m => new QueuedMessage(m.MessageId, m.ReceiptHandle, Decode(m.Body), ReceiveCount(m)))];
    }

    public async Task<QueuedMessage> HideAsync(QueuedMessage message, TimeSpan visibility, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await client.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest { QueueUrl = _url, ReceiptHandle = message.Receipt, VisibilityTimeout = Seconds(visibility) }, cancellationToken)
            .ConfigureAwait(false);
        return message;
    }

    public async Task DeleteAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await client.DeleteMessageAsync(new DeleteMessageRequest { QueueUrl = _url, ReceiptHandle = message.Receipt }, cancellationToken).ConfigureAwait(false);
        }
        catch (ReceiptHandleIsInvalidException)
        {
            // deleted already (a replica that handled it too, after our visibility ran out): gone is gone
        }
    }

    public async Task PingAsync(CancellationToken cancellationToken) =>
        await client.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = _url, AttributeNames = [QueueAttributeName.QueueArn] }, cancellationToken).ConfigureAwait(false);

    /// <summary>Whole seconds, rounded up (a backoff of 1.5 s must not become 1 s), within SQS's 0 s–12 h.</summary>
    private static int Seconds(TimeSpan visibility) => (int)Math.Clamp(Math.Ceiling(visibility.TotalSeconds), 0, MaxVisibilitySeconds);

    private static int ReceiveCount(Message message) =>
        message.Attributes?.TryGetValue(MessageSystemAttributeName.ApproximateReceiveCount, out var text) == true && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var count)
            ? count : 1;

    private static byte[] Decode(string body)
    {
        try
        {
            return Convert.FromBase64String(body);
        }
        catch (FormatException)
        {
            return System.Text.Encoding.UTF8.GetBytes(body); // not ours (someone else's text on the queue): the worker parks it as unreadable
        }
    }
}
