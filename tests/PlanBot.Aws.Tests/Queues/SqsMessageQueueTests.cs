using Amazon.SQS;
using Amazon.SQS.Model;
using PlanBot.Aws.Queues;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Aws.Tests.Queues;

/// <summary>The service's shared queue on an SQS emulator speaking SQS's JSON protocol (local-aws-sqs): the queue contract, and an outage.</summary>
public sealed class SqsMessageQueueTests : MessageQueueContract
{
    protected override int MaxMessageBytes => SqsMessageQueue.MaxMessageBytes;

    protected override string CapText => "192 KB";

    protected override async Task<IMessageQueue> CreateQueueAsync() => await AwsClients.SqsQueueAsync(TestServers.Sqs);

    protected override IMessageQueue Unreachable(string origin) =>
        new SqsMessageQueue(AwsClients.Sqs(origin), new Uri($"{origin}/123456789012/gone"));

    [Fact]
    public async Task A_stopped_emulator_fails_the_ping_and_the_send_and_the_name_is_the_queue_url()
    {
        var emulator = TestServers.StartSqs();
        SqsMessageQueue queue;
        try
        {
            queue = await AwsClients.SqsQueueAsync(emulator.Endpoint);
            await queue.PingAsync(CancellationToken.None);
            await queue.SendAsync([1], CancellationToken.None);
            queue.Name.ShouldStartWith(emulator.Endpoint + "/");
        }
        finally
        {
            emulator.Dispose();
        }

        await Should.ThrowAsync<Exception>(() => queue.PingAsync(CancellationToken.None));
        await Should.ThrowAsync<Exception>(() => queue.SendAsync([2], CancellationToken.None));
    }

    [Fact]
    public async Task A_queue_that_does_not_exist_fails_the_ping_naming_it()
    {
        using var client = AwsClients.Sqs(TestServers.Sqs);
        var queue = new SqsMessageQueue(client, new Uri($"{TestServers.Sqs}/123456789012/{AwsClients.UniqueName("missing")}"));
        await Should.ThrowAsync<QueueDoesNotExistException>(() => queue.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Someone_elses_text_on_the_queue_is_received_as_its_bytes_for_the_worker_to_set_aside()
    {
        using var client = AwsClients.Sqs(TestServers.Sqs);
        var queue = await AwsClients.SqsQueueAsync(TestServers.Sqs);
        await client.SendMessageAsync(new SendMessageRequest { QueueUrl = queue.Name, MessageBody = "not base64: {}" });
        (await SendAndTakeAsync(queue, send: false)).Body.ShouldBe("not base64: {}"u8.ToArray());
    }
}
