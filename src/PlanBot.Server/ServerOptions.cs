namespace PlanBot.Server;

/// <summary>How the webhook service runs.</summary>
public sealed record ServerOptions
{
    /// <summary>PLANBOT_WEBHOOK_SECRET, comma-separated while rotating.</summary>
    public required string WebhookSecret { get; init; }
    /// <summary>PLANBOT_DATA_DIR: the queue, locks, plans and per-PR workspaces.</summary>
    public required string DataDir { get; init; }
    /// <summary>Different PRs handled at once; one PR's deliveries always run one at a time, in order.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Why a repository's deliveries are refused at the intake (the server policy's <c>allowed_repositories</c>); null: all are taken.</summary>
    public Func<string, string?>? RefuseRepository { get; init; }
    /// <summary>GitHub sends at most 25 MB; larger bodies are refused (413), while they are read, before any is kept.</summary>
    public long MaxBodyBytes { get; init; } = 25 * 1024 * 1024;
    /// <summary>How often the worker looks for queued work when nothing woke it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>
    /// PLANBOT_QUEUE_MAX_ATTEMPTS: runs of one delivery that crashed the service or failed (not for an
    /// outage) before it is parked as a dead letter, with a comment on its PR.
    /// </summary>
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Waits before the 2nd and 3rd attempt of a delivery that failed (not for an outage).</summary>
    public TimeSpan FailureBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// PLANBOT_QUEUE_OUTAGE_RETRIES (e.g. <c>10s,30s,1m,2m,4m,8m</c>): the waits between runs of a delivery
    /// that failed because GitHub (or the network) was unavailable; once used up it is failed, body kept.
    /// </summary>
    public IReadOnlyList<TimeSpan> OutageRetries { get; init; } =
        [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(8)];

    /// <summary>PLANBOT_QUEUE_MAX_ATTEMPTS and PLANBOT_QUEUE_OUTAGE_RETRIES, when set; a bad value is a usage error naming the fix.</summary>
    public ServerOptions WithQueueEnvironment(Func<string, string?> env)
    {
        var options = this;
        if (env("PLANBOT_QUEUE_MAX_ATTEMPTS") is { Length: > 0 } attempts)
        {
            options = options with
            {
                MaxAttempts = int.TryParse(attempts, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 100 ? n
                    : throw new PlanBot.Core.Common.UsageException($"PLANBOT_QUEUE_MAX_ATTEMPTS={attempts}: write a whole number from 1 to 100 (default 3)"),
            };
        }

        if (env("PLANBOT_QUEUE_OUTAGE_RETRIES") is { Length: > 0 } retries)
        {
            var waits = new List<TimeSpan>();
            foreach (var part in retries.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                waits.Add(PlanBot.Core.Config.ConfigValidator.TryParseDuration(part, out var wait) && wait > TimeSpan.Zero ? wait
                    : throw new PlanBot.Core.Common.UsageException($"PLANBOT_QUEUE_OUTAGE_RETRIES: {part} is not a duration; write the waits between retries, e.g. 10s,30s,1m,2m,4m,8m"));
            }

            options = options with { OutageRetries = waits };
        }

        return options;
    }
}
