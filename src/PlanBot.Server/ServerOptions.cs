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
    /// <summary>GitHub sends at most 25 MB; larger bodies are refused (413) before they are read.</summary>
    public long MaxBodyBytes { get; init; } = 25 * 1024 * 1024;
    /// <summary>How often the worker looks for queued work when nothing woke it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
}
