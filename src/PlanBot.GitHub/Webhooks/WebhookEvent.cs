using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Ports;

namespace PlanBot.GitHub.Webhooks;

/// <summary>What PlanBot does with a delivery (Action event or webhook), decided from its event name and payload.</summary>
public abstract record WebhookEvent(string Repo)
{
    public sealed record PullRequestChanged(string Repo, PullRequestInfo PullRequest, string Action, long? Installation) : WebhookEvent(Repo);

    /// <param name="MergedIntoDefaultBranch">Merged into the repository's default branch: the push of the merge applies it.</param>
    public sealed record PullRequestClosed(string Repo, PullRequestInfo PullRequest, long? Installation, bool MergedIntoDefaultBranch = false) : WebhookEvent(Repo);

    /// <summary>A new comment on a PR whose first non-empty line starts with /planbot.</summary>
    /// <param name="OnMergedPullRequest">The PR was merged when the comment was made (<c>issue.pull_request.merged_at</c>): the command may apply what its merge left waiting.</param>
    public sealed record Command(string Repo, int Number, IssueComment Comment, long? Installation, bool OnMergedPullRequest = false) : WebhookEvent(Repo);

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

    /// <summary>
    /// The PR whose line the service runs this event on (one at a time per line); null: the
    /// repository's line, where pushes to the default branch apply. A command on a merged PR runs
    /// there: it may apply what the merge left waiting, which must never overlap a push's apply.
    /// </summary>
    /// <remarks>A method, not a property: the record's printed form (golden/webhook-records.txt) stays what the parser reads.</remarks>
    public int? LinePullRequest() => this is Command { OnMergedPullRequest: true } ? null : PullRequestNumber;
}

/// <summary>
/// Parses deliveries (pull_request, issue_comment, push) into the few fields PlanBot acts on, with
/// source-generated metadata (<see cref="WebhookPayloadContext"/>): reading GitHub's whole event model
/// through reflection (Octokit.Webhooks' types) cost every `planbot run` about 260 ms of CPU and 900
/// JIT-compiled methods before its first git call (issue 19). Every other kind is
/// <see cref="WebhookEvent.Ignored"/> from a small envelope (action, repository), and fields PlanBot
/// does not read are never looked at, so a payload shape GitHub adds later never stops the service.
/// Anything unreadable is a <see cref="JsonException"/> naming the field and the fix, never a crash.
/// </summary>
public static partial class WebhookParser
{
    private static readonly HashSet<string> PlanActions = new(StringComparer.Ordinal) { "opened", "synchronize", "reopened", "ready_for_review" };

    /// <exception cref="JsonException">The body is not a JSON object, or lacks a field PlanBot needs (named in the message).</exception>
    public static WebhookEvent Parse(string eventName, ReadOnlySpan<byte> body)
    {
        var envelope = JsonSerializer.Deserialize(body, WebhookJsonContext.Default.EnvelopeJson) ?? throw new JsonException("the payload is null: a GitHub webhook body is a JSON object");
        var repo = envelope.Repository?.FullName ?? "";
        var installation = envelope.Installation?.Id;
        switch (eventName)
        {
            case "pull_request" or "pull_request_target" when envelope.Action is { } action && Present(envelope.PullRequest):
                if (action != "closed" && !PlanActions.Contains(action))
                {
                    return new WebhookEvent.Ignored(repo, $"pull_request {action} needs no plan");
                }

                var pullEvent = Read(body, WebhookPayloadContext.Default.PullRequestPayload, eventName);
                var info = Pull(pullEvent.PullRequest, repo, eventName);
                return action == "closed" ? new WebhookEvent.PullRequestClosed(repo, info, installation, info.Merged && info.BaseRef == (envelope.Repository?.DefaultBranch ?? "main"))
                    : new WebhookEvent.PullRequestChanged(repo, info, action, installation);
            case "issue_comment":
                if (envelope.Action != "created")
                {
                    return new WebhookEvent.Ignored(repo, $"issue_comment {envelope.Action}: only new comments are commands (edits and deletions are ignored)");
                }

                var commentEvent = Read(body, WebhookPayloadContext.Default.IssueCommentPayload, eventName);
                if (commentEvent.Issue is not { } issue || !Present(issue.PullRequest) || commentEvent.Comment is not { } comment)
                {
                    return new WebhookEvent.Ignored(repo, "a comment on an issue, not a pull request");
                }

                var type = comment.User?.Type;
                if (type == "Bot" || comment.User?.Login?.EndsWith("[bot]", StringComparison.OrdinalIgnoreCase) == true || !IsCommand(comment.Body))
                {
                    return new WebhookEvent.Ignored(repo, !IsCommand(comment.Body) ? "not a /planbot command" : "a bot's comment");
                }

                var merged = issue.PullRequest is { ValueKind: JsonValueKind.Object } pull && pull.TryGetProperty("merged_at", out var mergedAt) && mergedAt.ValueKind == JsonValueKind.String;
                return new WebhookEvent.Command(repo, checked((int)issue.Number), new IssueComment(comment.Id, comment.Body ?? "", comment.User?.Login ?? "", comment.CreatedAt, comment.UpdatedAt), installation, merged);
            case "push" when envelope.Ref is not null && envelope.After is not null:
                var push = Read(body, WebhookPayloadContext.Default.PushPayload, eventName);
                var defaultBranch = push.Repository?.DefaultBranch ?? "main";
                var after = push.After ?? "";
                return push.Ref == $"refs/heads/{defaultBranch}" && after.Trim('0').Length > 0
                    ? new WebhookEvent.PushToDefaultBranch(repo, after, installation)
                    : new WebhookEvent.Ignored(repo, $"push to {push.Ref}, not the default branch {defaultBranch}");
            case "schedule" or "workflow_dispatch":
                return new WebhookEvent.Scheduled(repo);
            default:
                return new WebhookEvent.Ignored(repo, $"{eventName}{(envelope.Action is null ? "" : " " + envelope.Action)} is not an event PlanBot acts on");
        }
    }

    /// <summary>The comment's first paragraph, read as Markdown, starts with /planbot (then a space or the end): see <see cref="Core.Commands.SlashCommand.IsCommand"/>.</summary>
    public static bool IsCommand(string? body) => Core.Commands.SlashCommand.IsCommand(body);

    /// <summary>
    /// The fields of one event PlanBot reads. Nothing is required by the model: GitHub's payloads differ
    /// by version and GHES release (and the Action's event files are the same payloads), so PlanBot
    /// checks the few fields it needs itself (<see cref="Pull"/>) instead of refusing a payload for a
    /// URL it never uses; a field of the wrong type is a <see cref="JsonException"/> naming its path.
    /// </summary>
    private static T Read<T>(ReadOnlySpan<byte> body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string eventName)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException($"the {eventName} payload is null");
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or FormatException or OverflowException)
        {
            throw new JsonException($"the {eventName} payload does not have GitHub's shape: {e.Message}", e);
        }
    }

    /// <summary>A field that is there and not null (the model reads objects PlanBot only tests for as a <see cref="JsonElement"/>).</summary>
    private static bool Present(JsonElement value) => value.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);

    /// <summary>A boolean GitHub may send as null or leave out (both false); anything else is not GitHub's shape.</summary>
    private static bool Flag(JsonElement value, string eventName, string field) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False or JsonValueKind.Null or JsonValueKind.Undefined => false,
        _ => throw new JsonException($"the {eventName} payload's 'pull_request.{field}' is {value.ValueKind.ToString().ToLowerInvariant()}, not true, false or null: it is not GitHub's shape"),
    };

    internal static PullRequestInfo Pull(PullPayload? p, string repo, string eventName = "pull_request")
    {
        // A signed payload can still lack what every real pull_request event carries: refuse it by name.
        T Need<T>(T? value, string field) where T : class => value ?? throw new JsonException(
            $"the {eventName} payload has no 'pull_request{(field.Length > 0 ? "." + field : "")}', which every GitHub {eventName} event carries: PlanBot needs the PR's number, head, base and user");
        p = Need(p, "");
        var head = Need(p.Head, "head");
        var headSha = Need(head.Sha, "head.sha");
        var @base = Need(p.Base, "base");
        var baseSha = Need(@base.Sha, "base.sha");
        var author = Need(Need(p.User, "user").Login, "user.login");
        return new()
        {
            Number = checked((int)p.Number),
            HeadSha = headSha,
            BaseSha = baseSha,
            BaseRef = Need(@base.Ref, "base.ref"),
            HeadRef = Need(head.Ref, "head.ref"),
            Author = author,
            State = p.State ?? "open",
            Draft = Flag(p.Draft, eventName, "draft"),
            Merged = Flag(p.Merged, eventName, "merged") || p.MergedAt is not null,
            // A head repository that is gone (a deleted fork) is not this repository: treated as a fork, as the REST client does.
            FromFork = head.Repo is not { } headRepo || !string.Equals(headRepo.FullName, repo, StringComparison.OrdinalIgnoreCase),
            CloneUrl = @base.Repo?.CloneUrl,
            DefaultBranch = @base.Repo?.DefaultBranch,
            MergeCommitSha = p.MergeCommitSha,
        };
    }
}

internal sealed record EnvelopeRepoJson(string? FullName, string? DefaultBranch);

internal sealed record EnvelopeInstallationJson(long Id);

/// <summary>What every delivery is read for first: the action, the repository, and whether the shape is the one its event needs.</summary>
internal sealed record EnvelopeJson(string? Action, EnvelopeRepoJson? Repository, EnvelopeInstallationJson? Installation, JsonElement PullRequest, string? Ref, string? After);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(EnvelopeJson))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;

// The fields of GitHub's pull_request, issue_comment and push payloads that PlanBot reads (GitHub's
// webhook reference names them); everything else in a payload is skipped unread.
internal sealed record PayloadUser(string? Login, string? Type);

internal sealed record PayloadRepo(string? FullName, string? CloneUrl, string? DefaultBranch);

internal sealed record PayloadBranch(string? Sha, string? Ref, PayloadRepo? Repo);

// Draft and Merged are JsonElements, MergedAt a string (PlanBot only asks whether it is set): each value type a
// source-generated model uses costs ~50 JIT-compiled methods at first use (JsonPropertyInfo<T>, converters), and
// bool?, DateTimeOffset? and JsonElement? were used by nothing else on the way to the first terraform (issue 19).
internal sealed record PullPayload(long Number, string? State, JsonElement Draft, JsonElement Merged, string? MergedAt, string? MergeCommitSha, PayloadBranch? Head, PayloadBranch? Base, PayloadUser? User);

internal sealed record PullRequestPayload(PullPayload? PullRequest);

internal sealed record IssuePayload(long Number, JsonElement PullRequest);

internal sealed record CommentPayload(long Id, string? Body, PayloadUser? User, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record IssueCommentPayload(IssuePayload? Issue, CommentPayload? Comment);

internal sealed record PushPayload(string? Ref, string? After, PayloadRepo? Repository);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PullRequestPayload))]
[JsonSerializable(typeof(IssueCommentPayload))]
[JsonSerializable(typeof(PushPayload))]
internal sealed partial class WebhookPayloadContext : JsonSerializerContext;
