using PlanBot.Aws.Queues;
using PlanBot.Azure.Queues;
using PlanBot.Core.Common;
using PlanBot.Hosting;

namespace PlanBot.Server.Tests;

/// <summary>How PLANBOT_QUEUE_BACKEND and PLANBOT_QUEUE_URL become the shared queue; every bad value fails at start, naming the variable and the fix.</summary>
public sealed class QueueChoiceTests
{
    [Theory]
    [InlineData("sqs", "https://sqs.eu-west-1.amazonaws.com/123456789012/planbot", typeof(SqsMessageQueue))]
    [InlineData("sqs", "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/planbot", typeof(SqsMessageQueue))]
    [InlineData("sqs", "http://127.0.0.1:9324/000000000000/planbot", typeof(SqsMessageQueue))]
    [InlineData("azure", "https://acme.queue.core.windows.net/planbot", typeof(AzureMessageQueue))]
    public void A_queue_url_of_the_backend_makes_its_queue_named_by_the_url(string backend, string url, Type type)
    {
        var parts = ServiceQueues.Create(Settings(backend, url), TimeProvider.System).ShouldNotBeNull();
        parts.Queue.ShouldBeOfType(type);
        parts.Queue.Name.ShouldBe(url);
    }

    [Theory]
    [InlineData("sqs", "https://sqs.eu-west-1.amazonaws.com/123456789012/planbot.fifo", null, "use a standard queue")]
    [InlineData("sqs", "https://sqs.eu-west-1.amazonaws.com/planbot", null, "an SQS queue URL is https://sqs.REGION.amazonaws.com/ACCOUNT/NAME")]
    [InlineData("sqs", "http://sqs.eu-west-1.amazonaws.com/123456789012/planbot", null, "AWS queue URLs are https")]
    [InlineData("sqs", "https://vpce-0a1b.sqs.eu-west-1.vpce.amazonaws.com/123456789012/planbot", null, "set AWS_REGION")]
    [InlineData("sqs", "planbot", null, "PLANBOT_QUEUE_URL=planbot: PLANBOT_QUEUE_BACKEND=sqs needs the queue's URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/planbot")]
    [InlineData("sqs", null, null, "PLANBOT_QUEUE_URL=(unset)")]
    [InlineData("rabbitmq", "https://example.com/q", null, "write sqlite (one replica, the default), azure (Azure Queue Storage) or sqs (Amazon SQS)")]
    [InlineData("sqs", "https://sqs.eu-west-1.amazonaws.com/123456789012/planbot", "", "PLANBOT_LEASE_TABLE is not set")]
    public void A_bad_setting_is_an_error_naming_it_and_the_fix(string backend, string? url, string? table, string error)
    {
        var settings = Settings(backend, url);
        if (table is not null)
        {
            settings = settings with { Service = settings.Service with { LeaseTable = null } };
        }

        Should.Throw<UsageException>(() => ServiceQueues.Create(settings, TimeProvider.System)).Message.ShouldContain(error);
    }

    [Fact]
    public void A_vpc_endpoint_is_signed_for_aws_region()
    {
        var settings = Settings("sqs", "https://vpce-0a1b.sqs.eu-west-1.vpce.amazonaws.com/123456789012/planbot");
        settings = settings with { Cloud = settings.Cloud with { AwsRegion = "eu-west-1" } };
        ServiceQueues.Create(settings, TimeProvider.System).ShouldNotBeNull().Queue.ShouldBeOfType<SqsMessageQueue>();
    }

    private static PlanBotSettings Settings(string backend, string? url) => new()
    {
        DataDir = Path.GetTempPath(), // not written: building the queue touches no disk
        Service = new ServiceSettings { QueueBackend = backend, QueueUrl = url, LeaseTable = "planbot-leases", LeaseEndpoint = "http://127.0.0.1:8000" },
        Cloud = new CloudSettings { AzureStorageKey = "a2V5" },
    };
}
