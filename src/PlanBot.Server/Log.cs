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

    [LoggerMessage(5, LogLevel.Information, "delivery {Delivery} for {Key}: done in {Milliseconds} ms")]
    public static partial void Done(ILogger logger, string delivery, string key, long milliseconds);

    [LoggerMessage(6, LogLevel.Error, "delivery {Delivery} for {Key}: failed")]
    public static partial void Failed(ILogger logger, Exception error, string delivery, string key);

    [LoggerMessage(7, LogLevel.Information, "worker stopping: {Running} deliveries still running are queued again at the next start")]
    public static partial void Stopping(ILogger logger, int running);
}
