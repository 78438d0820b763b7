using Azure.Storage;
using Azure.Storage.Queues;
using PlanBot.Azure.Queues;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

/// <summary>The service's shared queue on azurite's queue service (issue 18 item 2): the queue contract.</summary>
public sealed class AzureMessageQueueTests : MessageQueueContract
{
    protected override int MaxMessageBytes => AzureMessageQueue.MaxMessageBytes;

    protected override string CapText => "48 KB";

    protected override async Task<IMessageQueue> CreateQueueAsync()
    {
        var client = Client();
        await client.CreateAsync();
        return new AzureMessageQueue(client);
    }

    protected override IMessageQueue Unreachable(string origin) => new AzureMessageQueue(Client($"{origin}/{TestServers.AzuriteAccount}"));

    /// <summary>Azure voids a pop receipt once the message is received again, and every hide gives a new one.</summary>
    protected override async Task StaleReceiptAsync(IMessageQueue queue, QueuedMessage first)
    {
        await Should.ThrowAsync<global::Azure.RequestFailedException>(() => queue.HideAsync(first, TimeSpan.FromSeconds(30), CancellationToken.None), "the first receipt is void");
    }

    [Fact]
    public async Task The_queue_is_created_at_first_use_and_named_by_its_url()
    {
        var client = Client();
        var queue = new AzureMessageQueue(client);
        await queue.SendAsync([1], CancellationToken.None);
        await queue.PingAsync(CancellationToken.None);
        queue.Name.ShouldBe(client.Uri.ToString());
        queue.Name.ShouldStartWith(TestServers.AzuriteQueue);
        var taken = await SendAndTakeAsync(queue, send: false);
        (await queue.HideAsync(taken, TimeSpan.FromSeconds(30), CancellationToken.None)).Receipt.ShouldNotBe(taken.Receipt, "a hide gives a new pop receipt, which deleting needs");
    }

    private static QueueClient Client(string? endpoint = null) =>
        new(new Uri($"{endpoint ?? TestServers.AzuriteQueue}/q{Guid.NewGuid():N}"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey),
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None, Retry = { MaxRetries = 0 } });
}
