using System.Text.Json.Serialization;

namespace PlanBot.GitHub.Rest;

// The REST shapes a PR run reads and writes, only the fields PlanBot uses, read and written through
// Octokit's Connection with source-generated metadata (GitHubJson): Octokit's reflection-based
// serializer cost a `planbot run` about 300 ms of CPU and 900 JIT-compiled methods (issue 19).
// Fields GitHub adds or PlanBot does not read are never looked at. Numbers are long, times strings
// (GitHubTime): each value type a model uses costs ~50 JIT-compiled methods at first use.

internal sealed record RestUser(string? Login);

internal sealed record RestRepository(string? FullName, string? CloneUrl, string? DefaultBranch);

internal sealed record RestRef(string? Sha, string? Ref, [property: JsonPropertyName("repo")] RestRepository? Repository);

/// <summary>A pull request as GET /pulls/{n}, the list of pulls and GET /commits/{sha}/pulls answer it.</summary>
internal sealed record RestPullRequest(long Number, string? State, bool Draft, bool Merged, string? MergedAt, RestUser? User, RestRef? Head, RestRef? Base, string? MergeCommitSha);

internal sealed record RestPullRequestFile(string Filename, string? Status, string? PreviousFilename);

internal sealed record RestIssueComment(long Id, string? Body, RestUser? User, string? CreatedAt, string? UpdatedAt);

internal sealed record RestReview(long Id, RestUser? User, string? State, string? CommitId);

internal sealed record RestPermission(string? Permission, string? RoleName);

internal sealed record RestCheckRunCreated(long Id);

/// <summary>An answer PlanBot does not read (a status's): no field is bound.</summary>
internal sealed record RestIgnored;

internal sealed record RestCommentBody(string Body);

internal sealed record RestNewStatus(string State, string Context, string? Description, string? TargetUrl);

internal sealed record RestCheckRunOutput(string Title, string? Summary, string? Text);

internal sealed record RestNewCheckRun(string Name, string HeadSha, string Status, string Conclusion, RestCheckRunOutput Output);

internal sealed record RestCheckRunUpdate(string Name, string Status, string Conclusion, RestCheckRunOutput Output);

/// <summary>An issue; the issues API lists pull requests too, which have <c>pull_request</c>.</summary>
internal sealed record RestIssue(long Number, string? Title, string? Body, string? State, RestIgnored? PullRequest);

internal sealed record RestNewIssue(string Title, string Body, IReadOnlyList<string> Labels);

/// <summary>What changes (nulls are left out: the rest of the issue, its milestone too, stays as it is).</summary>
internal sealed record RestIssueUpdate(string? Body, string? State);

internal sealed record RestReaction(string Content);

/// <summary>A team membership: "active", or "pending" until the invitation is accepted.</summary>
internal sealed record RestTeamMembership(string? State);

/// <summary>A GitHub App's installation on a repository or organization.</summary>
internal sealed record RestInstallation(long Id);

internal sealed record RestInstallationToken(string Token, string? ExpiresAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RestPullRequest))]
[JsonSerializable(typeof(List<RestPullRequest>))]
[JsonSerializable(typeof(List<RestPullRequestFile>))]
[JsonSerializable(typeof(RestIssueComment))]
[JsonSerializable(typeof(List<RestIssueComment>))]
[JsonSerializable(typeof(List<RestReview>))]
[JsonSerializable(typeof(RestPermission))]
[JsonSerializable(typeof(RestCheckRunCreated))]
[JsonSerializable(typeof(RestIgnored))]
[JsonSerializable(typeof(RestCommentBody))]
[JsonSerializable(typeof(RestNewStatus))]
[JsonSerializable(typeof(RestNewCheckRun))]
[JsonSerializable(typeof(RestCheckRunUpdate))]
[JsonSerializable(typeof(RestIssue))]
[JsonSerializable(typeof(List<RestIssue>))]
[JsonSerializable(typeof(RestNewIssue))]
[JsonSerializable(typeof(RestIssueUpdate))]
[JsonSerializable(typeof(RestReaction))]
[JsonSerializable(typeof(RestTeamMembership))]
[JsonSerializable(typeof(RestInstallation))]
[JsonSerializable(typeof(RestInstallationToken))]
internal sealed partial class RestJsonContext : JsonSerializerContext;

/// <summary>GitHub's timestamps (ISO 8601, UTC): read here, so the JSON model holds strings.</summary>
internal static class GitHubTime
{
    public static DateTimeOffset Parse(string? text, string field) =>
        text is null ? default
        : DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw new System.Text.Json.JsonException($"'{field}' is '{text}', not a time: the answer is not GitHub's shape");
}
