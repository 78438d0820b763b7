using System.Net.Http.Headers;
using Octokit;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Auth;
using CheckRun = PlanBot.Core.Ports.CheckRun;
using CommitStatus = PlanBot.Core.Ports.CommitStatus;
using IssueComment = PlanBot.Core.Ports.IssueComment;
using Review = PlanBot.Core.Ports.Review;

namespace PlanBot.GitHub.Rest;

/// <summary>
/// GitHub's REST API as <see cref="IVcs"/>, through Octokit (only this project sees it). Under
/// Octokit: <see cref="OctokitBridge"/> (host guard, documented media types, token, cancellation),
/// then our HttpClient with <see cref="ResilienceHandler"/> (Octokit retries nothing). Lists are
/// read 100 a page. Errors name the call and GitHub's message, never the token. The calls a PR run
/// makes read and write the small records of RestModels.cs through Octokit's connection
/// (source-generated JSON, <see cref="GitHubJson"/>); the rest use Octokit's own clients, built on first use.
/// </summary>
public sealed class GitHubClient : IVcs
{
    public const int MaxPullRequestFiles = 3_000;

    private readonly ApiConnection _api;
    private readonly ITokenSource _tokens;

    public GitHubClient(HttpClient http, ITokenSource tokens)
    {
        var connection = OctokitBridge.Connection(http);
        _api = new ApiConnection(connection);
        _tokens = tokens;
    }

    private static Uri Repo(string owner, string name, string rest) =>
        new($"repos/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(name)}/{rest}", UriKind.Relative);

    /// <summary>
    /// An HttpClient for <paramref name="apiUrl"/> (GITHUB_API_URL; GitHub Enterprise works) with the
    /// retry handler, masking <paramref name="secrets"/> (PlanBotSettings.Secrets) in every request
    /// body. Required, not defaulted: a client that masks nothing is a choice a caller writes down (<c>[]</c>).
    /// </summary>
    public static HttpClient CreateHttp(Uri apiUrl, IReadOnlyList<string> secrets, RetryPolicy? retry = null, TimeProvider? time = null, HttpMessageHandler? inner = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var handler = new ResilienceHandler(retry ?? new RetryPolicy(), time ?? TimeProvider.System) { InnerHandler = inner ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) } };
        var masking = new MaskingHandler(new Core.Plans.Values.SecretScrubber(secrets, [])) { InnerHandler = handler };
        var http = new HttpClient(masking) { BaseAddress = new Uri(apiUrl.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("X-GitHub-Api-Version", "2022-11-28");
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("PlanBot", "1.0"));
        return http;
    }

    private static ApiOptions Pages(int? max = null) => new() { PageSize = 100, PageCount = max is { } m ? (m + 99) / 100 : null };

    public Task<PullRequestInfo> GetPullRequestAsync(string repo, int number, CancellationToken cancellationToken) =>
        RunAsync(repo, $"GET /repos/{repo}/pulls/{number}", async (owner, name) => Pull(await _api.Get<RestPullRequest>(Repo(owner, name, $"pulls/{number}")).ConfigureAwait(false), repo), cancellationToken);

    public Task<IReadOnlyList<PullRequestInfo>> ListOpenPullRequestsAsync(string repo, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<PullRequestInfo>>(repo, $"GET /repos/{repo}/pulls", async (owner, name) =>
            [.. (await _api.GetAll<RestPullRequest>(Repo(owner, name, "pulls"), new Dictionary<string, string> { ["state"] = "open" }, Pages()).ConfigureAwait(false)).Select(p => Pull(p, repo))],
            cancellationToken);

    public Task<IReadOnlyList<ChangedFile>?> GetChangedFilesAsync(string repo, int number, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<ChangedFile>?>(repo, $"GET /repos/{repo}/pulls/{number}/files", async (owner, name) =>
        {
            var files = await _api.GetAll<RestPullRequestFile>(Repo(owner, name, $"pulls/{number}/files"), Pages(MaxPullRequestFiles)).ConfigureAwait(false);
            if (files.Count >= MaxPullRequestFiles)
            {
                return null; // GitHub lists at most 3,000: the rest only git diff knows
            }

            return [.. files.Select(f => new ChangedFile(f.Filename, f.Status switch
            {
                "added" => FileChangeKind.Added,
                "removed" => FileChangeKind.Deleted,
                "renamed" => FileChangeKind.Renamed,
                "copied" => FileChangeKind.Copied,
                _ => FileChangeKind.Modified,
            }, f.PreviousFilename))];
        }, cancellationToken);

    public Task<IReadOnlyList<IssueComment>> ListCommentsAsync(string repo, int number, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<IssueComment>>(repo, $"GET /repos/{repo}/issues/{number}/comments", async (owner, name) =>
            // not Issue.Comment.GetAllForIssue: it adds sort=created&direction=asc, GitHub's default order, to every page's URL
            [.. (await _api.GetAll<RestIssueComment>(Repo(owner, name, $"issues/{number}/comments"), Pages()).ConfigureAwait(false)).Select(Comment)], cancellationToken);

    public Task<IssueComment> CreateCommentAsync(string repo, int number, string body, CancellationToken cancellationToken) =>
        RunAsync(repo, $"POST /repos/{repo}/issues/{number}/comments", async (owner, name) =>
            Comment(await _api.Post<RestIssueComment>(Repo(owner, name, $"issues/{number}/comments"), new RestCommentBody(body)).ConfigureAwait(false)), cancellationToken);

    public Task UpdateCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken) =>
        RunAsync(repo, $"PATCH /repos/{repo}/issues/comments/{commentId}", async (owner, name) =>
            await _api.Patch<RestIssueComment>(Repo(owner, name, $"issues/comments/{commentId}"), new RestCommentBody(body)).ConfigureAwait(false), cancellationToken);

    public Task DeleteCommentAsync(string repo, long commentId, CancellationToken cancellationToken) =>
        RunAsync(repo, $"DELETE /repos/{repo}/issues/comments/{commentId}", async (owner, name) =>
        {
            try
            {
                await _api.Delete(Repo(owner, name, $"issues/comments/{commentId}")).ConfigureAwait(false);
            }
            catch (NotFoundException)
            {
                // already gone: what deleting it was for
            }

            return true;
        }, cancellationToken);

    public Task AddReactionAsync(string repo, long commentId, string reaction, CancellationToken cancellationToken)
    {
        if (reaction is not ("+1" or "-1" or "laugh" or "confused" or "heart" or "hooray" or "rocket" or "eyes"))
        {
            throw new ArgumentException($"'{reaction}' is not a GitHub reaction (+1, -1, laugh, confused, heart, hooray, rocket, eyes)", nameof(reaction));
        }

        return RunAsync(repo, $"POST /repos/{repo}/issues/comments/{commentId}/reactions", async (owner, name) =>
            await _api.Post<RestIgnored>(Repo(owner, name, $"issues/comments/{commentId}/reactions"), new RestReaction(reaction)).ConfigureAwait(false), cancellationToken);
    }

    public Task SetStatusAsync(string repo, string sha, CommitStatus status, CancellationToken cancellationToken)
    {
        var body = new RestNewStatus(
            status.State switch
            {
                Core.Ports.CommitState.Pending => "pending",
                Core.Ports.CommitState.Success => "success",
                Core.Ports.CommitState.Failure => "failure",
                _ => "error",
            },
            status.Context,
            Truncate(status.Description, 140),
            status.TargetUrl);
        return RunAsync(repo, $"POST /repos/{repo}/statuses/{sha}", async (owner, name) =>
            await _api.Post<RestIgnored>(Repo(owner, name, $"statuses/{Uri.EscapeDataString(sha)}"), body).ConfigureAwait(false), cancellationToken);
    }

    public Task<long> CreateCheckRunAsync(string repo, CheckRun run, CancellationToken cancellationToken)
    {
        var body = new RestNewCheckRun(Truncate(run.Name, 255), run.HeadSha, "completed", run.Conclusion, Output(run));
        return RunAsync(repo, $"POST /repos/{repo}/check-runs", async (owner, name) =>
            (await _api.Post<RestCheckRunCreated>(Repo(owner, name, "check-runs"), body).ConfigureAwait(false)).Id, cancellationToken);
    }

    public Task UpdateCheckRunAsync(string repo, long checkRunId, CheckRun run, CancellationToken cancellationToken)
    {
        var body = new RestCheckRunUpdate(Truncate(run.Name, 255), "completed", run.Conclusion, Output(run));
        return RunAsync(repo, $"PATCH /repos/{repo}/check-runs/{checkRunId}", async (owner, name) =>
            await _api.Patch<RestIgnored>(Repo(owner, name, $"check-runs/{checkRunId}"), body).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>GitHub refuses more than 65,535 characters in each of output.summary and output.text: cut with a notice.</summary>
    private static RestCheckRunOutput Output(CheckRun run)
    {
        const int limit = 65_535;
        const string notice = "\n\n… cut at GitHub's 65,535-character limit; the full plan is in the job summary and the plan artifact.";
        static string? Fit(string? text) => text is null || text.Length <= limit ? text : text[..(limit - notice.Length)] + notice;
        return new RestCheckRunOutput(Truncate(run.Title, 255), Fit(run.Summary), Fit(run.Text));
    }

    public Task<UserPermission> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken) =>
        RunAsync(repo, $"GET /repos/{repo}/collaborators/{user}/permission", async (owner, name) =>
        {
            var permission = await _api.Get<RestPermission>(Repo(owner, name, $"collaborators/{Uri.EscapeDataString(user)}/permission")).ConfigureAwait(false);
            return new UserPermission(permission.Permission ?? "none", permission.RoleName);
        }, cancellationToken);

    public async Task<bool> IsTeamMemberAsync(string org, string teamSlug, string user, CancellationToken cancellationToken)
    {
        var token = await _tokens.GetTokenAsync(org, cancellationToken).ConfigureAwait(false);
        // Octokit reads memberships by team id only: the connection reads the one by slug
        var path = new Uri($"orgs/{Uri.EscapeDataString(org)}/teams/{Uri.EscapeDataString(teamSlug)}/memberships/{Uri.EscapeDataString(user)}", UriKind.Relative);
        return await GitHubCall.RunAsync($"GET /orgs/{org}/teams/{teamSlug}/memberships/{{user}}", token, async () =>
        {
            try
            {
                var membership = await _api.Get<RestTeamMembership>(path).ConfigureAwait(false);
                return membership.State == "active";
            }
            catch (NotFoundException)
            {
                return false;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<PullRequestInfo>> PullRequestsForCommitAsync(string repo, string sha, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<PullRequestInfo>>(repo, $"GET /repos/{repo}/commits/{sha}/pulls", async (owner, name) =>
            [.. (await _api.GetAll<RestPullRequest>(Repo(owner, name, $"commits/{Uri.EscapeDataString(sha)}/pulls"), Pages()).ConfigureAwait(false)).Select(p => Pull(p, repo))], cancellationToken);

    public Task<IReadOnlyList<Review>> ListReviewsAsync(string repo, int number, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<Review>>(repo, $"GET /repos/{repo}/pulls/{number}/reviews", async (owner, name) =>
            [.. (await _api.GetAll<RestReview>(Repo(owner, name, $"pulls/{number}/reviews"), Pages()).ConfigureAwait(false))
                .Select(r => new Review(r.Id, r.User?.Login ?? "", r.State ?? "", r.CommitId))], cancellationToken);

    public Task<IReadOnlyList<IssueInfo>> ListIssuesAsync(string repo, string label, string state, CancellationToken cancellationToken)
    {
        if (state is not ("open" or "closed" or "all"))
        {
            throw new ArgumentException($"'{state}' is not an issue state to list (open, closed, all)", nameof(state));
        }

        var query = new Dictionary<string, string>(StringComparer.Ordinal) { ["state"] = state, ["labels"] = label };
        return RunAsync<IReadOnlyList<IssueInfo>>(repo, $"GET /repos/{repo}/issues", async (owner, name) =>
            [.. (await _api.GetAll<RestIssue>(Repo(owner, name, "issues"), query, Pages()).ConfigureAwait(false))
                .Where(i => i.PullRequest is null).Select(Issue)], cancellationToken); // the issues API lists PRs too
    }

    public Task<IssueInfo> CreateIssueAsync(string repo, string title, string body, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        var issue = new RestNewIssue(title, body, [.. labels]);
        return RunAsync(repo, $"POST /repos/{repo}/issues", async (owner, name) => Issue(await _api.Post<RestIssue>(Repo(owner, name, "issues"), issue).ConfigureAwait(false)), cancellationToken);
    }

    public Task UpdateIssueAsync(string repo, int number, string? body, string? state, CancellationToken cancellationToken) =>
        // only what changes is sent (Octokit's Issue.Update always sent "milestone": null, which cleared the milestone)
        RunAsync(repo, $"PATCH /repos/{repo}/issues/{number}", async (owner, name) =>
            await _api.Patch<RestIssue>(Repo(owner, name, $"issues/{number}"), new RestIssueUpdate(body, state)).ConfigureAwait(false), cancellationToken);

    private static IssueInfo Issue(RestIssue i) => new(checked((int)i.Number), i.Title ?? "", i.Body ?? "", i.State ?? "");

    private static PullRequestInfo Pull(RestPullRequest p, string repo) => new()
    {
        Number = checked((int)p.Number),
        HeadSha = p.Head?.Sha ?? "",
        BaseSha = p.Base?.Sha ?? "",
        BaseRef = p.Base?.Ref ?? "main",
        HeadRef = p.Head?.Ref ?? "",
        Author = p.User?.Login ?? "",
        State = p.State ?? "",
        Draft = p.Draft,
        Merged = p.Merged || p.MergedAt is not null,
        // a deleted fork leaves head.repo null: its code is still not ours to run with our credentials
        FromFork = p.Head?.Repository is not { } headRepo || !string.Equals(headRepo.FullName, repo, StringComparison.OrdinalIgnoreCase),
        CloneUrl = p.Base?.Repository?.CloneUrl,
        DefaultBranch = p.Base?.Repository?.DefaultBranch,
        MergeCommitSha = p.MergeCommitSha,
    };

    private static IssueComment Comment(RestIssueComment c)
    {
        var created = GitHubTime.Parse(c.CreatedAt, "created_at");
        return new(c.Id, c.Body ?? "", c.User?.Login ?? "", created, c.UpdatedAt is null ? created : GitHubTime.Parse(c.UpdatedAt, "updated_at"));
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>One call: the repository's token (fetched before Octokit runs, with the caller's cancellation), then Octokit under <see cref="GitHubCall"/>.</summary>
    private async Task<T> RunAsync<T>(string repo, string call, Func<string, string, Task<T>> action, CancellationToken cancellationToken)
    {
        var (owner, name) = GitHubCall.Split(repo);
        var token = await _tokens.GetTokenAsync(repo, cancellationToken).ConfigureAwait(false);
        return await GitHubCall.RunAsync(call, token, () => action(owner, name), cancellationToken).ConfigureAwait(false);
    }
}
