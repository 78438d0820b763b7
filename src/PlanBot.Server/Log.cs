using Microsoft.Extensions.Logging;

namespace PlanBot.Server;

/// <summary>The service's log lines, source-generated (no boxing, no formatting unless enabled).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "delivery {Delivery} ({Event}) refused: {Why}")]
    public static partial void Refused(ILogger logger, string? delivery, string? @event, string why);

    [LoggerMessage(2, LogLevel.Information, "delivery {Delivery} ({Event}) for {Repo}: accepted")]
    public static partial void Accepted(ILogger logger, string delivery, string @event, string repo);

    [LoggerMessage(3, LogLevel.Information, "delivery {Delivery} ({Event}) for {Repo}: ignored, {Why}")]
    public static partial void Ignored(ILogger logger, string delivery, string @event, string repo, string why);

    [LoggerMessage(4, LogLevel.Information, "delivery {Delivery} ({Event}) for {Repo}: {What}")]
    public static partial void Known(ILogger logger, string delivery, string @event, string repo, string what);

    [LoggerMessage(5, LogLevel.Information, "delivery {Delivery} for {Key}: done in {Milliseconds} ms")]
    public static partial void Done(ILogger logger, string delivery, string key, long milliseconds);

    [LoggerMessage(6, LogLevel.Error, "delivery {Delivery} for {Key}: attempt {Attempt} failed")]
    public static partial void Failed(ILogger logger, Exception error, string delivery, string key, int attempt);

    [LoggerMessage(7, LogLevel.Information, "worker stopping: {Running} deliveries still running are queued again at the next start")]
    public static partial void Stopping(ILogger logger, int running);

    [LoggerMessage(8, LogLevel.Warning, "delivery {Delivery}: GitHub unavailable, retry {Retry} of {Retries} in {Seconds} s ({Why})")]
    public static partial void OutageRetry(ILogger logger, string delivery, int retry, int retries, long seconds, string why);

    [LoggerMessage(9, LogLevel.Error, "delivery {Delivery}: {State}, {Why}; `planbot queue retry` with its id runs it again")]
    public static partial void GaveUp(ILogger logger, string delivery, string state, string why);

    [LoggerMessage(10, LogLevel.Warning, "delivery {Delivery}: could not say on the PR that it was given up")]
    public static partial void NoticeFailed(ILogger logger, Exception error, string delivery);

    [LoggerMessage(11, LogLevel.Error, "delivery {Delivery} ({Event}): could not be stored")]
    public static partial void StoreFailed(ILogger logger, Exception error, string? delivery, string? @event);

    [LoggerMessage(12, LogLevel.Warning, "shared queue {Queue} unreachable; trying again at the next poll")]
    public static partial void QueueUnreachable(ILogger logger, Exception error, string queue);

    [LoggerMessage(13, LogLevel.Error, "message {Message} on {Queue} is not a PlanBot delivery: deleted")]
    public static partial void Unreadable(ILogger logger, string message, string queue);

    [LoggerMessage(14, LogLevel.Warning, "delivery {Delivery} for {Key}: lease (token {Token}) lost to a newer holder; this replica stopped it and wrote nothing more")]
    public static partial void LeaseLost(ILogger logger, string delivery, string key, long token);

    [LoggerMessage(15, LogLevel.Error, "delivery {Delivery}: parked, {Why}; GitHub's Redeliver runs it again")]
    public static partial void Parked(ILogger logger, string delivery, string why);
}
