using PlanBot.Core.Events;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Hosting;

/// <summary>GitHub's events (an Action's event file or a webhook delivery) as the engine's events.</summary>
public static class GitHubEvents
{
    /// <param name="cloneUrl">The repository's clone URL when the payload carries one (push events do).</param>
    public static PlanBotEvent ToEvent(WebhookEvent parsed, string? cloneUrl = null)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return parsed switch
        {
            WebhookEvent.PullRequestChanged e => new PlanBotEvent.PullRequestChanged(e.Repo, e.PullRequest),
            WebhookEvent.PullRequestClosed e => new PlanBotEvent.PullRequestClosed(e.Repo, e.PullRequest, e.MergedIntoDefaultBranch),
            WebhookEvent.Command e => new PlanBotEvent.Command(e.Repo, e.Number, e.Comment),
            WebhookEvent.PushToDefaultBranch e => new PlanBotEvent.PushToDefaultBranch(e.Repo, e.Sha, cloneUrl),
            WebhookEvent.Scheduled e => new PlanBotEvent.DriftCheck(e.Repo, cloneUrl),
            WebhookEvent.Ignored e => new PlanBotEvent.Ignored(e.Repo, e.Why),
            _ => new PlanBotEvent.Ignored(parsed.Repo, $"{parsed.GetType().Name} is not acted on"),
        };
    }

    /// <summary>The repository's clone URL from a payload (push events carry it), else null.</summary>
    public static string? CloneUrl(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(body);
            using var payload = System.Text.Json.JsonDocument.ParseValue(ref reader);
            return payload.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && payload.RootElement.TryGetProperty("repository", out var repository) &&
                repository.ValueKind == System.Text.Json.JsonValueKind.Object && repository.TryGetProperty("clone_url", out var url) &&
                url.ValueKind == System.Text.Json.JsonValueKind.String && url.GetString() is { Length: > 0 } clone
                ? clone
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
