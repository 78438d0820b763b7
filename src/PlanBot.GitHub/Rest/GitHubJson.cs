using System.Text.Json.Serialization;

namespace PlanBot.GitHub.Rest;

// The fields PlanBot reads and writes of GitHub's REST resources (snake_case on the wire).

internal sealed record UserJson(string Login, string? Type = null);

internal sealed record RepoJson(string FullName, string? CloneUrl = null, string? DefaultBranch = null);

internal sealed record RefJson(string Sha, string Ref, RepoJson? Repo = null);

internal sealed record PullJson(int Number, string State, bool? Draft, bool? Merged, string? MergedAt, UserJson User, RefJson Head, RefJson Base, string? MergeCommitSha = null);

internal sealed record PullFileJson(string Filename, string Status, string? PreviousFilename = null);

internal sealed record CommentJson(long Id, string? Body, UserJson? User, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record NewCommentJson(string Body);

internal sealed record ReactionJson(string Content);

internal sealed record StatusJson(string State, string Context, string Description, string? TargetUrl);

internal sealed record CheckOutputJson(string Title, string Summary, string? Text);

internal sealed record CheckRunJson(string Name, string HeadSha, string Status, string Conclusion, CheckOutputJson Output);

internal sealed record CheckRunUpdateJson(string Name, string Status, string Conclusion, CheckOutputJson Output);

internal sealed record CheckRunIdJson(long Id);

internal sealed record PermissionJson(string Permission, string? RoleName);

internal sealed record MembershipJson(string State, string? Role);

internal sealed record InstallationJson(long Id);

internal sealed record AccessTokenJson(string Token, DateTimeOffset ExpiresAt);

internal sealed record ReviewJson(long Id, UserJson? User, string State, string? CommitId);

internal sealed record IssueJson(int Number, string Title, string? Body, string State, System.Text.Json.JsonElement? PullRequest);

internal sealed record NewIssueJson(string Title, string Body, string[] Labels);

internal sealed record IssueUpdateJson(string? Body, string? State);

internal sealed record ErrorJson(string? Message, string? DocumentationUrl);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PullJson))]
[JsonSerializable(typeof(List<PullJson>))]
[JsonSerializable(typeof(List<PullFileJson>))]
[JsonSerializable(typeof(CommentJson))]
[JsonSerializable(typeof(List<CommentJson>))]
[JsonSerializable(typeof(NewCommentJson))]
[JsonSerializable(typeof(ReactionJson))]
[JsonSerializable(typeof(StatusJson))]
[JsonSerializable(typeof(CheckRunJson))]
[JsonSerializable(typeof(CheckRunUpdateJson))]
[JsonSerializable(typeof(CheckRunIdJson))]
[JsonSerializable(typeof(PermissionJson))]
[JsonSerializable(typeof(MembershipJson))]
[JsonSerializable(typeof(InstallationJson))]
[JsonSerializable(typeof(AccessTokenJson))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(List<ReviewJson>))]
[JsonSerializable(typeof(IssueJson))]
[JsonSerializable(typeof(List<IssueJson>))]
[JsonSerializable(typeof(NewIssueJson))]
[JsonSerializable(typeof(IssueUpdateJson))]
internal sealed partial class GitHubJsonContext : JsonSerializerContext;
