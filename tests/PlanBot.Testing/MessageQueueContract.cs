using PlanBot.Core.Ports;
using Shouldly;
using Xunit;

namespace PlanBot.Testing;

/// <summary>What every shared <see cref="IMessageQueue"/> backend must do (issue 18 item 2), each on its real emulator.</summary>
public abstract class MessageQueueContract
{
    /// <summary>A new, empty queue (created) on the backend's emulator.</summary>
    protected abstract Task<IMessageQueue> CreateQueueAsync();

    /// <summary>A queue at <paramref name="origin"/> (http://127.0.0.1:port), where nothing listens.</summary>
    protected abstract IMessageQueue Unreachable(string origin);

    /// <summary>The backend's cap on one message, after base64.</summary>
    protected abstract int MaxMessageBytes { get; }

    /// <summary>How the refusal of an oversized delivery names the cap on the delivery itself (before base64).</summary>
    protected abstract string CapText { get; }

    [Fact]
    public async Task A_message_is_hidden_while_received_comes_back_counted_when_not_deleted_and_is_gone_once_deleted()
    {
        var queue = await CreateQueueAsync();
        byte[] body = [0, 1, 2, 255, .. "{\"id\":\"d1\"}"u8.ToArray()];
        await queue.SendAsync(body, CancellationToken.None);

        var first = (await queue.ReceiveAsync(4, TimeSpan.FromSeconds(1), CancellationToken.None)).ShouldHaveSingleItem();
        first.Body.ShouldBe(body, "bytes survive the base64 round trip");
        first.DequeueCount.ShouldBe(1);
        (await queue.ReceiveAsync(4, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeEmpty("hidden while its receiver runs it");

        // the receiver died: after its visibility the message is back, counted
        var again = await EventuallyAsync(() => queue.ReceiveAsync(4, TimeSpan.FromSeconds(30), CancellationToken.None));
        again.Id.ShouldBe(first.Id);
        again.DequeueCount.ShouldBe(2);
        await StaleReceiptAsync(queue, first);

        var kept = await queue.HideAsync(again, TimeSpan.FromSeconds(30), CancellationToken.None); // the heartbeat
        (await queue.ReceiveAsync(4, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeEmpty("still hidden after the heartbeat");
        await queue.HideAsync(kept, TimeSpan.Zero, CancellationToken.None); // given back (a replica stopping): visible again at once
        var third = await EventuallyAsync(() => queue.ReceiveAsync(4, TimeSpan.FromSeconds(1), CancellationToken.None));
        third.Id.ShouldBe(first.Id);
        third.DequeueCount.ShouldBeGreaterThan(again.DequeueCount, "counted again (local-aws-sqs counts each visibility change as a receive too: no exact 3)");

        await queue.DeleteAsync(third, CancellationToken.None);
        await queue.DeleteAsync(third, CancellationToken.None); // a second delete (another replica's) is not an error
        await queue.SendAsync([7], CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // past the deleted message's visibility: had the delete not taken, it would be back
        var rest = new List<QueuedMessage>();
        for (var round = 0; round < 5 && rest.Count == 0; round++)
        {
            rest.AddRange(await queue.ReceiveAsync(4, TimeSpan.FromSeconds(30), CancellationToken.None));
        }

        rest.Select(m => m.Body).ShouldBe([[7]], "deleted is gone for good");
    }

    [Fact]
    public async Task Several_messages_are_received_at_once_and_each_is_received_by_one_receiver()
    {
        var queue = await CreateQueueAsync();
        for (byte i = 0; i < 6; i++)
        {
            await queue.SendAsync([i], CancellationToken.None);
        }

        var taken = new List<QueuedMessage>();
        for (var round = 0; round < 20 && taken.Count < 6; round++)
        {
            taken.AddRange(await queue.ReceiveAsync(3, TimeSpan.FromSeconds(30), CancellationToken.None));
        }

        string.Join(",", taken.Select(m => m.Body.Single()).Order()).ShouldBe("0,1,2,3,4,5", "every message once, none twice while hidden");
        taken.Select(m => m.Id).Distinct().Count().ShouldBe(6);
    }

    [Fact]
    public async Task A_delivery_at_the_message_cap_fits_and_one_over_it_is_refused_with_the_reason_before_anything_is_stored()
    {
        var queue = await CreateQueueAsync();
        var largest = new byte[MaxMessageBytes / 4 * 3]; // base64: exactly the cap
        largest[^1] = 42;
        await queue.SendAsync(largest, CancellationToken.None);
        (await SendAndTakeAsync(queue, send: false)).Body.ShouldBe(largest);

        var error = await Should.ThrowAsync<ArgumentException>(() => queue.SendAsync(new byte[largest.Length + 1], CancellationToken.None));
        error.Message.ShouldContain(CapText);
        error.Message.ShouldContain("PLANBOT_QUEUE_BACKEND=sqlite", Case.Sensitive, "it names a way out");
        (await queue.ReceiveAsync(4, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Ping_answers_when_the_queue_is_reachable_and_throws_when_it_is_not()
    {
        var queue = await CreateQueueAsync();
        await queue.PingAsync(CancellationToken.None);
        queue.Name.ShouldNotContain("?", Case.Sensitive, "no query (where credentials would be) in what the probe names");

        await Should.ThrowAsync<Exception>(() => Unreachable($"http://127.0.0.1:{LoopbackPort.Free()}").PingAsync(CancellationToken.None));
    }

    /// <summary>What the first receipt of a message does once the message was received again (backends differ: Azure voids it).</summary>
    protected virtual Task StaleReceiptAsync(IMessageQueue queue, QueuedMessage first) => Task.CompletedTask;

    protected static async Task<QueuedMessage> SendAndTakeAsync(IMessageQueue queue, bool send = true)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (send)
        {
            await queue.SendAsync([7], CancellationToken.None);
        }

        return await EventuallyAsync(() => queue.ReceiveAsync(1, TimeSpan.FromSeconds(30), CancellationToken.None));
    }

    /// <summary>Polls until a message is visible (bounded: 30 s), instead of sleeping for the visibility.</summary>
    protected static async Task<QueuedMessage> EventuallyAsync(Func<Task<IReadOnlyList<QueuedMessage>>> receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if ((await receive()).SingleOrDefault() is { } message)
            {
                return message;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, "the message never came back");
            await Task.Delay(100);
        }
    }
}
