using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Auth;

namespace PlanBot.GitHub.Rest;

/// <summary>
/// GitHub's REST API as <see cref="IVcs"/>: <c>Accept: application/vnd.github+json</c>,
/// <c>X-GitHub-Api-Version: 2022-11-28</c>, a User-Agent, lists followed through <c>Link</c> headers.
/// Transient failures are retried by <see cref="ResilienceHandler"/> below it; errors name the call
/// and GitHub's message, never the token.
/// </summary>
public sealed partial class GitHubClient : IVcs
{
    public const int MaxPullRequestFiles = 3_000;

    private readonly HttpClient _http;
    private readonly ITokenSource _tokens;

    public GitHubClient(HttpClient http, ITokenSource tokens)
    {
        _http = http;
        _tokens = tokens;
    }

    /// <summary>An HttpClient for <paramref name="apiUrl"/> (GITHUB_API_URL; GitHub Enterprise works) with the retry handler.</summary>
    public static HttpClient CreateHttp(Uri apiUrl, RetryPolicy? retry = null, TimeProvider? time = null, HttpMessageHandler? inner = null)
    {
        var handler = new ResilienceHandler(retry ?? new RetryPolicy(), time ?? TimeProvider.System) { InnerHandler = inner ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) } };
        var masking = new MaskingHandler(Core.Plans.Values.OwnSecrets.Scrubber(Core.Plans.Values.OwnSecrets.Of(Environment.GetEnvironmentVariables()))) { InnerHandler = handler };
        var http = new HttpClient(masking) { BaseAddress = new Uri(apiUrl.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        // GitHub answers the vendor type; its OpenAPI description (and so any mock of it) declares application/json
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json", 0.9));
        http.DefaultRequestHeaders.Add("X-GitHub-Api-Version", "2022-11-28");
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("PlanBot", "1.0"));
        return http;
    }

    [GeneratedRegex("<([^>]+)>;\\s*rel=\"next\"", RegexOptions.CultureInvariant)]
    private static partial Regex NextLink();

    public async Task<PullRequestInfo> GetPullRequestAsync(string repo, int number, CancellationToken cancellationToken) =>
        Pull(await GetAsync(repo, $"repos/{repo}/pulls/{number}", GitHubJsonContext.Default.PullJson, cancellationToken).ConfigureAwait(false), repo);

    public async Task<IReadOnlyList<PullRequestInfo>> ListOpenPullRequestsAsync(string repo, CancellationToken cancellationToken) =>
        [.. (await ListAsync(repo, $"repos/{repo}/pulls?state=open", GitHubJsonContext.Default.ListPullJson, int.MaxValue, cancellationToken).ConfigureAwait(false)).Select(p => Pull(p, repo))];

    public async Task<IReadOnlyList<ChangedFile>?> GetChangedFilesAsync(string repo, int number, CancellationToken cancellationToken)
    {
        var files = await ListAsync(repo, $"repos/{repo}/pulls/{number}/files", GitHubJsonContext.Default.ListPullFileJson, MaxPullRequestFiles, cancellationToken).ConfigureAwait(false);
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
    }

    public async Task<IReadOnlyList<IssueComment>> ListCommentsAsync(string repo, int number, CancellationToken cancellationToken) =>
        [.. (await ListAsync(repo, $"repos/{repo}/issues/{number}/comments", GitHubJsonContext.Default.ListCommentJson, int.MaxValue, cancellationToken).ConfigureAwait(false)).Select(Comment)];

    public async Task<IssueComment> CreateCommentAsync(string repo, int number, string body, CancellationToken cancellationToken) =>
        Comment(await SendAsync(repo, HttpMethod.Post, $"repos/{repo}/issues/{number}/comments", new NewCommentJson(body), GitHubJsonContext.Default.NewCommentJson, GitHubJsonContext.Default.CommentJson, cancellationToken).ConfigureAwait(false));

    public Task UpdateCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken) =>
        SendAsync(repo, HttpMethod.Patch, $"repos/{repo}/issues/comments/{commentId}", new NewCommentJson(body), GitHubJsonContext.Default.NewCommentJson, GitHubJsonContext.Default.CommentJson, cancellationToken);

    public async Task DeleteCommentAsync(string repo, long commentId, CancellationToken cancellationToken)
    {
        using var response = await RawAsync(repo, HttpMethod.Delete, $"repos/{repo}/issues/comments/{commentId}", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureAsync(response, $"DELETE /repos/{repo}/issues/comments/{commentId}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task AddReactionAsync(string repo, long commentId, string reaction, CancellationToken cancellationToken)
    {
        using var response = await RawAsync(repo, HttpMethod.Post, $"repos/{repo}/issues/comments/{commentId}/reactions", JsonContent.Create(new ReactionJson(reaction), GitHubJsonContext.Default.ReactionJson), cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"POST /repos/{repo}/issues/comments/{commentId}/reactions", cancellationToken).ConfigureAwait(false);
    }

    public async Task SetStatusAsync(string repo, string sha, CommitStatus status, CancellationToken cancellationToken)
    {
        var body = new StatusJson(status.State.ToString().ToLowerInvariant(), status.Context, Truncate(status.Description, 140), status.TargetUrl);
        using var response = await RawAsync(repo, HttpMethod.Post, $"repos/{repo}/statuses/{sha}", JsonContent.Create(body, GitHubJsonContext.Default.StatusJson), cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"POST /repos/{repo}/statuses/{sha}", cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> CreateCheckRunAsync(string repo, CheckRun run, CancellationToken cancellationToken)
    {
        var body = new CheckRunJson(Truncate(run.Name, 255), run.HeadSha, "completed", run.Conclusion, Output(run));
        return (await SendAsync(repo, HttpMethod.Post, $"repos/{repo}/check-runs", body, GitHubJsonContext.Default.CheckRunJson, GitHubJsonContext.Default.CheckRunIdJson, cancellationToken).ConfigureAwait(false)).Id;
    }

    public Task UpdateCheckRunAsync(string repo, long checkRunId, CheckRun run, CancellationToken cancellationToken) =>
        SendAsync(repo, HttpMethod.Patch, $"repos/{repo}/check-runs/{checkRunId}", new CheckRunUpdateJson(Truncate(run.Name, 255), "completed", run.Conclusion, Output(run)),
            GitHubJsonContext.Default.CheckRunUpdateJson, GitHubJsonContext.Default.CheckRunIdJson, cancellationToken);

    /// <summary>GitHub refuses more than 65,535 characters in each of output.summary and output.text: cut with a notice.</summary>
    private static CheckOutputJson Output(CheckRun run)
    {
        const int limit = 65_535;
        const string notice = "\n\n… cut at GitHub's 65,535-character limit; the full plan is in the job summary and the plan artifact.";
        string? Fit(string? text) => text is null || text.Length <= limit ? text : text[..(limit - notice.Length)] + notice;
        return new CheckOutputJson(Truncate(run.Title, 255), Fit(run.Summary)!, Fit(run.Text));
    }

    public async Task<UserPermission> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken)
    {
        var permission = await GetAsync(repo, $"repos/{repo}/collaborators/{Uri.EscapeDataString(user)}/permission", GitHubJsonContext.Default.PermissionJson, cancellationToken).ConfigureAwait(false);
        return new UserPermission(permission.Permission, permission.RoleName);
    }

    public async Task<bool> IsTeamMemberAsync(string org, string teamSlug, string user, CancellationToken cancellationToken)
    {
        using var response = await RawAsync(org, HttpMethod.Get, $"orgs/{org}/teams/{teamSlug}/memberships/{Uri.EscapeDataString(user)}", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureAsync(response, $"GET /orgs/{org}/teams/{teamSlug}/memberships/{{user}}", cancellationToken).ConfigureAwait(false);
        var membership = await response.Content.ReadFromJsonAsync(GitHubJsonContext.Default.MembershipJson, cancellationToken).ConfigureAwait(false);
        return membership?.State == "active";
    }

    public async Task<IReadOnlyList<PullRequestInfo>> PullRequestsForCommitAsync(string repo, string sha, CancellationToken cancellationToken) =>
        [.. (await ListAsync(repo, $"repos/{repo}/commits/{sha}/pulls", GitHubJsonContext.Default.ListPullJson, int.MaxValue, cancellationToken).ConfigureAwait(false)).Select(p => Pull(p, repo))];

    public async Task<IReadOnlyList<Review>> ListReviewsAsync(string repo, int number, CancellationToken cancellationToken) =>
        [.. (await ListAsync(repo, $"repos/{repo}/pulls/{number}/reviews", GitHubJsonContext.Default.ListReviewJson, int.MaxValue, cancellationToken).ConfigureAwait(false))
            .Select(r => new Review(r.Id, r.User?.Login ?? "", r.State, r.CommitId))];

    public async Task<IReadOnlyList<IssueInfo>> ListIssuesAsync(string repo, string label, string state, CancellationToken cancellationToken) =>
        [.. (await ListAsync(repo, $"repos/{repo}/issues?labels={Uri.EscapeDataString(label)}&state={state}", GitHubJsonContext.Default.ListIssueJson, int.MaxValue, cancellationToken).ConfigureAwait(false))
            .Where(i => i.PullRequest is null).Select(Issue)]; // the issues API lists PRs too

    public async Task<IssueInfo> CreateIssueAsync(string repo, string title, string body, IReadOnlyList<string> labels, CancellationToken cancellationToken) =>
        Issue(await SendAsync(repo, HttpMethod.Post, $"repos/{repo}/issues", new NewIssueJson(title, body, [.. labels]), GitHubJsonContext.Default.NewIssueJson, GitHubJsonContext.Default.IssueJson, cancellationToken).ConfigureAwait(false));

    public Task UpdateIssueAsync(string repo, int number, string? body, string? state, CancellationToken cancellationToken) =>
        SendAsync(repo, HttpMethod.Patch, $"repos/{repo}/issues/{number}", new IssueUpdateJson(body, state), GitHubJsonContext.Default.IssueUpdateJson, GitHubJsonContext.Default.IssueJson, cancellationToken);

    private static IssueInfo Issue(IssueJson i) => new(i.Number, i.Title, i.Body ?? "", i.State);

    private static PullRequestInfo Pull(PullJson p, string repo) => Webhooks.WebhookParser.Pull(p, repo);

    private static IssueComment Comment(CommentJson c) => new(c.Id, c.Body ?? "", c.User?.Login ?? "", c.CreatedAt, c.UpdatedAt);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private async Task<T> GetAsync<T>(string repo, string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await RawAsync(repo, HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, "GET /" + path.Split('?')[0], cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<TResponse> SendAsync<TBody, TResponse>(string repo, HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        using var response = await RawAsync(repo, method, path, JsonContent.Create(body, bodyType), cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"{method} /{path}", cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(responseType, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Every page of a list (per_page=100), following Link rel="next", up to <paramref name="max"/> items.</summary>
    private async Task<List<T>> ListAsync<T>(string repo, string path, JsonTypeInfo<List<T>> type, int max, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? next = path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "per_page=100";
        while (next is not null && items.Count < max)
        {
            using var response = await RawAsync(repo, HttpMethod.Get, next, null, cancellationToken).ConfigureAwait(false);
            await EnsureAsync(response, "GET /" + path.Split('?')[0], cancellationToken).ConfigureAwait(false);
            items.AddRange((await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)) ?? []);
            next = response.Headers.TryGetValues("Link", out var links) && NextLink().Match(string.Join(',', links)) is { Success: true } match ? match.Groups[1].Value : null;
            if (next is not null && Uri.TryCreate(next, UriKind.Absolute, out var link) && link.Authority != _http.BaseAddress!.Authority)
            {
                next = null; // never send the token to another host, whatever a Link header says
            }
        }

        return items;
    }

    private async Task<HttpResponseMessage> RawAsync(string repo, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _tokens.GetTokenAsync(repo, cancellationToken).ConfigureAwait(false));
        try
        {
            return await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new VcsException($"GitHub {method} /{path.Split('?')[0]}: {e.Message}", e);
        }
    }

    /// <summary>Turns an error answer into one readable line: the call, the status, GitHub's message.</summary>
    internal static async Task EnsureAsync(HttpResponseMessage response, string call, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string? message = null;
        try
        {
            message = (await response.Content.ReadFromJsonAsync(GitHubJsonContext.Default.ErrorJson, cancellationToken).ConfigureAwait(false))?.Message;
        }
        catch (System.Text.Json.JsonException)
        {
            // not GitHub's error JSON (a proxy's page): the status says enough
        }

        var status = (int)response.StatusCode;
        var hint = status switch
        {
            401 => "; the token is missing, expired or revoked",
            403 or 404 => "; check the token's permissions (pull-requests, issues, statuses, checks: write; contents: read)",
            _ => "",
        };
        throw new VcsException($"GitHub {call}: HTTP {status}{(message is null ? "" : $" {message}")}{hint}", status);
    }
}
