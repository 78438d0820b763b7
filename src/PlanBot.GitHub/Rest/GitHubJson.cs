namespace PlanBot.GitHub.Rest;

// The fields of GitHub's JSON the webhook parser (Webhooks/WebhookEvent.cs) reads of a delivery
// (snake_case on the wire). The REST calls read Octokit's models; these go when the parser moves to
// Octokit.Webhooks' typed events (issue 15, item 2).

internal sealed record UserJson(string Login, string? Type = null);

internal sealed record RepoJson(string FullName, string? CloneUrl = null, string? DefaultBranch = null);

internal sealed record RefJson(string Sha, string Ref, RepoJson? Repo = null);

internal sealed record PullJson(int Number, string State, bool? Draft, bool? Merged, string? MergedAt, UserJson User, RefJson Head, RefJson Base, string? MergeCommitSha = null);

internal sealed record InstallationJson(long Id);
