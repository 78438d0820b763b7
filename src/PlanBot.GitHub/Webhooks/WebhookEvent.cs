using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Rest;

namespace PlanBot.GitHub.Webhooks;

/// <summary>What PlanBot does with a delivery (Action event or webhook), decided from its event name and payload.</summary>
public abstract record WebhookEvent(string Repo)
{
    public sealed record PullRequestChanged(string Repo, PullRequestInfo PullRequest, string Action, long? Installation) : WebhookEvent(Repo);

    /// <param name="MergedIntoDefaultBranch">Merged into the repository's default branch: the push of the merge applies it.</param>
    public sealed record PullRequestClosed(string Repo, PullRequestInfo PullRequest, long? Installation, bool MergedIntoDefaultBranch = false) : WebhookEvent(Repo);

    /// <summary>A new comment on a PR whose first non-empty line starts with /planbot.</summary>
    public sealed record Command(string Repo, int Number, IssueComment Comment, long? Installation) : WebhookEvent(Repo);

    public sealed record PushToDefaultBranch(string Repo, string Sha, long? Installation) : WebhookEvent(Repo);

    public sealed record Scheduled(string Repo) : WebhookEvent(Repo);

    /// <summary>An event or action PlanBot does not act on, with why (logged, answered 204).</summary>
    public sealed record Ignored(string Repo, string Why) : WebhookEvent(Repo);

    /// <summary>The PR this event belongs to, for per-PR ordering; null for repository-wide events.</summary>
    public int? PullRequestNumber => this switch
    {
        PullRequestChanged e => e.PullRequest.Number,
        PullRequestClosed e => e.PullRequest.Number,
        Command e => e.Number,
        _ => null,
    };
}

/// <summary>Parses deliveries; anything unexpected is <see cref="WebhookEvent.Ignored"/> or a <see cref="JsonException"/>, never a crash.</summary>
public static class WebhookParser
{
    private static readonly HashSet<string> PlanActions = new(StringComparer.Ordinal) { "opened", "synchronize", "reopened", "ready_for_review" };

    /// <exception cref="JsonException">The body is not JSON, or not an object.</exception>
    public static WebhookEvent Parse(string eventName, ReadOnlySpan<byte> body)
    {
        var payload = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.PayloadJson) ?? throw new JsonException("the payload is null");
        var repo = payload.Repository?.FullName ?? "";
        var installation = payload.Installation?.Id;
        switch (eventName)
        {
            // pull_request_target carries the same payload; the fork rules (plan_forks) apply to it alike.
            case "pull_request" or "pull_request_target" when payload.PullRequest is { } pr && payload.Action is { } action:
                var info = Pull(pr, repo);
                return action == "closed" ? new WebhookEvent.PullRequestClosed(repo, info, installation, info.Merged && info.BaseRef == (payload.Repository?.DefaultBranch ?? "main"))
                    : PlanActions.Contains(action) ? new WebhookEvent.PullRequestChanged(repo, info, action, installation)
                    : new WebhookEvent.Ignored(repo, $"pull_request {action} needs no plan");
            case "issue_comment":
                if (payload.Action != "created")
                {
                    return new WebhookEvent.Ignored(repo, $"issue_comment {payload.Action}: only new comments are commands (edits and deletions are ignored)");
                }

                if (payload.Issue is not { PullRequest: not null } issue || payload.Comment is not { } comment)
                {
                    return new WebhookEvent.Ignored(repo, "a comment on an issue, not a pull request");
                }

                if (comment.User?.Type == "Bot" || !IsCommand(comment.Body))
                {
                    return new WebhookEvent.Ignored(repo, comment.User?.Type == "Bot" ? "a bot's comment" : "not a /planbot command");
                }

                return new WebhookEvent.Command(repo, issue.Number, new IssueComment(comment.Id, comment.Body ?? "", comment.User?.Login ?? "", comment.CreatedAt, comment.UpdatedAt), installation);
            case "push" when payload.Ref is { } reference && payload.After is { } after:
                var defaultBranch = payload.Repository?.DefaultBranch ?? "main";
                return reference == $"refs/heads/{defaultBranch}" && after.Trim('0').Length > 0
                    ? new WebhookEvent.PushToDefaultBranch(repo, after, installation)
                    : new WebhookEvent.Ignored(repo, $"push to {reference}, not the default branch {defaultBranch}");
            case "schedule" or "workflow_dispatch":
                return new WebhookEvent.Scheduled(repo);
            default:
                return new WebhookEvent.Ignored(repo, $"{eventName}{(payload.Action is null ? "" : " " + payload.Action)} is not an event PlanBot acts on");
        }
    }

    /// <summary>The comment's first paragraph, read as Markdown, starts with /planbot (then a space or the end): see <see cref="Core.Workflows.SlashCommand.IsCommand"/>.</summary>
    public static bool IsCommand(string? body) => Core.Workflows.SlashCommand.IsCommand(body);

    internal static PullRequestInfo Pull(PullJson p, string repo) => new()
    {
        Number = p.Number,
        HeadSha = p.Head.Sha,
        BaseSha = p.Base.Sha,
        BaseRef = p.Base.Ref,
        HeadRef = p.Head.Ref,
        Author = p.User.Login,
        State = p.State,
        Draft = p.Draft == true,
        Merged = p.Merged == true || p.MergedAt is not null,
        FromFork = p.Head.Repo is { } head && !string.Equals(head.FullName, repo, StringComparison.OrdinalIgnoreCase),
        CloneUrl = p.Base.Repo?.CloneUrl,
        MergeCommitSha = p.MergeCommitSha,
    };
}

internal sealed record PayloadIssueJson(int Number, JsonElement? PullRequest);

internal sealed record PayloadCommentJson(long Id, string? Body, UserJson? User, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record PayloadJson(string? Action, RepoJson? Repository, InstallationJson? Installation, PullJson? PullRequest, PayloadIssueJson? Issue, PayloadCommentJson? Comment, string? Ref, string? After);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PayloadJson))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;
