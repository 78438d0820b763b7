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
            case "pull_request" when payload.PullRequest is { } pr && payload.Action is { } action:
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

    /// <summary>The first non-empty line starts with /planbot (then a space or the end).</summary>
    public static bool IsCommand(string? body)
    {
        var first = (body ?? "").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        return first == "/planbot" || first.StartsWith("/planbot ", StringComparison.Ordinal) || first.StartsWith("/planbot\t", StringComparison.Ordinal);
    }

    internal static PullRequestInfo Pull(PullJson p, string repo)
    {
        // A signed payload can still lack what every real pull_request event carries: refuse it by name.
        Require(p.Head, "pull_request.head");
        Require(p.Head.Sha, "pull_request.head.sha");
        Require(p.Head.Ref, "pull_request.head.ref");
        Require(p.Base, "pull_request.base");
        Require(p.Base.Sha, "pull_request.base.sha");
        Require(p.Base.Ref, "pull_request.base.ref");
        Require(p.User, "pull_request.user");
        Require(p.User.Login, "pull_request.user.login");
        Require(p.State, "pull_request.state");
        return PullInfo(p, repo);
    }

    /// <exception cref="JsonException">The field is missing (or null) in the payload.</exception>
    private static void Require(object? value, string field)
    {
        if (value is null)
        {
            throw new JsonException($"the payload has no '{field}', which every GitHub pull_request event carries: send the event as GitHub does");
        }
    }

    private static PullRequestInfo PullInfo(PullJson p, string repo) => new()
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
