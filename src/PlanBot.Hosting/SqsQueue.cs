using System.Text.RegularExpressions;
using Amazon;
using Amazon.SQS;
using PlanBot.Aws.Queues;
using PlanBot.Core.Common;

namespace PlanBot.Hosting;

/// <summary>
/// PLANBOT_QUEUE_BACKEND=sqs: the SQS client for a queue URL. An AWS URL
/// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) names its region, which wins over AWS_REGION (the
/// queue lives there); any other host (a VPC endpoint, an emulator) is the endpoint itself, signed for
/// AWS_REGION. Credentials come from the AWS SDK's own chain (environment, profile, web identity,
/// instance role) and are never read or printed here.
/// </summary>
internal static partial class SqsQueue
{
    public static SqsMessageQueue Create(Uri url, string? region)
    {
        var path = url.AbsolutePath.Trim('/').Split('/');
        if (path is not [{ Length: > 0 }, { Length: > 0 } name])
        {
            throw new UsageException($"PLANBOT_QUEUE_URL={url}: an SQS queue URL is https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (`aws sqs get-queue-url --queue-name NAME` prints it)");
        }

        if (name.EndsWith(".fifo", StringComparison.Ordinal))
        {
            throw new UsageException($"PLANBOT_QUEUE_URL={url}: a FIFO queue holds back a message group while one of its messages is in flight and needs a group id per message; "
                + "PlanBot orders each PR's work with its leases instead: use a standard queue");
        }

        var config = new AmazonSQSConfig();
        if (AwsHost().Match(url.Host) is { Success: true } aws)
        {
            if (url.Scheme != "https")
            {
                throw new UsageException($"PLANBOT_QUEUE_URL={url}: AWS queue URLs are https");
            }

            config.RegionEndpoint = RegionEndpoint.GetBySystemName(aws.Groups["region"].Value);
        }
        else
        {
            config.ServiceURL = url.GetLeftPart(UriPartial.Authority);
            config.AuthenticationRegion = region ?? (url.IsLoopback ? "us-east-1"
                : throw new UsageException($"PLANBOT_QUEUE_URL={url} is not an sqs.REGION.amazonaws.com URL, so its region is unknown: set AWS_REGION"));
        }

        return new SqsMessageQueue(new AmazonSQSClient(config), url);
    }

    [GeneratedRegex(@"^sqs\.(?<region>[a-z]{2}(-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$", RegexOptions.CultureInvariant)]
    private static partial Regex AwsHost();
}
