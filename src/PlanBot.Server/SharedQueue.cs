using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Ports;

namespace PlanBot.Server;

/// <summary>
/// N replicas of the service over one shared queue (<see cref="IMessageQueue"/>) and one lease store
/// (<see cref="ILeaseStore"/>): each replica's webhook records the delivery id in the lease store (so
/// a replay to any replica is answered 200 and not run twice) and sends the delivery to the queue;
/// each replica's <see cref="SharedQueueWorker"/> receives from it, holds the PR's lease while it
/// runs, and fences every write to GitHub (<see cref="FencedVcs"/>).
/// </summary>
/// <param name="Visibility">PLANBOT_QUEUE_VISIBILITY: how long a received delivery stays hidden and a PR's lease lives without a heartbeat
/// (a replica killed mid-run is taken over after this); the heartbeat renews both every third of it.</param>
/// <param name="Replica">This replica's name in lease holders and logs (PLANBOT_REPLICA_ID, else the host name).</param>
/// <param name="PingLeases">The readiness probe's check of the lease store.</param>
public sealed record SharedQueue(IMessageQueue Queue, ILeaseStore Leases, TimeSpan Visibility, string Replica, Func<CancellationToken, Task> PingLeases)
{
    /// <summary>How long a delivery id is remembered: GitHub redelivers for days, not weeks.</summary>
    public static readonly TimeSpan Remember = TimeSpan.FromDays(7);

    public static string SeenId(string delivery) => "delivery:" + delivery;

    public static string DoneId(string delivery) => "done:" + delivery;

    public static string AttemptId(string delivery, int attempt) => $"attempt:{delivery}:{attempt}";

    /// <summary>The lease key of a delivery: its PR (repo#pr), or its repository (pushes to the default branch are one line per repository).</summary>
    public static string LeaseKey(Delivery delivery) => "pr:" + DeliveryQueue.KeyOf(delivery);

    /// <summary>
    /// The run id of every run of one lease key (one PR, or one repository's default branch), on every
    /// replica. Whoever holds the PR's lease is its only live runner, so a run lock held under this id
    /// is a dead (or fenced-out) run's: a re-run, or the PR's next delivery, takes it over instead of
    /// reporting "terraform is already running" for a minute after a replica died. A fenced-out
    /// replica's terraform is stopped by its heartbeat; terraform's own state lock covers the rest.
    /// </summary>
    public static string RunIdOf(string leaseKey) => "serve-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(leaseKey)))[..18];

    public static byte[] Encode(Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return JsonSerializer.SerializeToUtf8Bytes(new Envelope(delivery.Id, delivery.Event, delivery.Repo, delivery.PullRequest, delivery.Received.ToUnixTimeMilliseconds(), delivery.Body), SharedQueueJson.Default.Envelope);
    }

    /// <summary>The delivery in a message, or null when the message is not one of ours.</summary>
    public static Delivery? Decode(byte[] message)
    {
        try
        {
            if (JsonSerializer.Deserialize(message, SharedQueueJson.Default.Envelope) is not { Id.Length: > 0, Event.Length: > 0, Repo.Length: > 0, Body: not null } e)
            {
                return null;
            }

            var delivery = new Delivery(e.Id, e.Event, e.Repo, e.Pr, e.Body, DateTimeOffset.FromUnixTimeMilliseconds(e.Received));
            return delivery with { RunId = RunIdOf(LeaseKey(delivery)) };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Envelope(string Id, string Event, string Repo, int? Pr, long Received, byte[] Body);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SharedQueue.Envelope))]
internal sealed partial class SharedQueueJson : JsonSerializerContext;
