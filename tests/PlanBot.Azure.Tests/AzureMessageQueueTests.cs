using Azure.Storage;
using Azure.Storage.Queues;
using PlanBot.Azure.Queues;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

/// <summary>The service's shared queue on azurite's queue service (issue 18 item 2).</summary>
public sealed class AzureMessageQueueTests
{
    private static QueueClient Client(string? endpoint = null) =>
        new(new Uri($"{endpoint ?? TestServers.AzuriteQueue}/q{Guid.NewGuid():N}"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey),
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None, Retry = { MaxRetries = 0 } });

    [Fact]
    public async Task A_message_is_hidden_while_received_comes_back_counted_when_not_deleted_and_is_gone_once_deleted()
    {
        var queue = new AzureMessageQueue(Client());
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
        await Should.ThrowAsync<global::Azure.RequestFailedException>(() => queue.HideAsync(first, TimeSpan.FromSeconds(30), CancellationToken.None), "the first receipt is void");

        var kept = await queue.HideAsync(again, TimeSpan.FromSeconds(30), CancellationToken.None); // the heartbeat
        kept.Receipt.ShouldNotBe(again.Receipt);
        await queue.DeleteAsync(kept, CancellationToken.None);
        await queue.DeleteAsync(kept, CancellationToken.None); // a second delete (another replica's) is not an error
        (await queue.HideAsync(await SendAndTakeAsync(queue), TimeSpan.Zero, CancellationToken.None)).ShouldNotBeNull();
        (await queue.ReceiveAsync(4, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldHaveSingleItem("hidden for zero: visible again at once");
    }

    [Fact]
    public async Task A_delivery_over_the_message_cap_is_refused_with_the_reason_before_anything_is_stored()
    {
        var queue = new AzureMessageQueue(Client());
        var error = await Should.ThrowAsync<ArgumentException>(() => queue.SendAsync(new byte[60 * 1024], CancellationToken.None));
        error.Message.ShouldContain("48 KB");
        (await queue.ReceiveAsync(4, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Ping_answers_when_the_queue_is_reachable_and_throws_when_it_is_not()
    {
        var queue = new AzureMessageQueue(Client());
        await queue.SendAsync([1], CancellationToken.None); // creates it
        await queue.PingAsync(CancellationToken.None);
        queue.Name.ShouldStartWith(TestServers.AzuriteQueue);

        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var gone = new AzureMessageQueue(Client($"http://127.0.0.1:{port}/{TestServers.AzuriteAccount}"));
        await Should.ThrowAsync<global::Azure.RequestFailedException>(() => gone.PingAsync(CancellationToken.None));
    }

    private static async Task<QueuedMessage> SendAndTakeAsync(AzureMessageQueue queue)
    {
        await queue.SendAsync([7], CancellationToken.None);
        return (await queue.ReceiveAsync(1, TimeSpan.FromSeconds(30), CancellationToken.None)).Single();
    }

    /// <summary>Polls until a message is visible (bounded: 30 s), instead of sleeping for the visibility.</summary>
    private static async Task<QueuedMessage> EventuallyAsync(Func<Task<IReadOnlyList<QueuedMessage>>> receive)
    {
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
