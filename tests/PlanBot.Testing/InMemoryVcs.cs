using PlanBot.Core.Ports;

namespace PlanBot.Testing;

/// <summary>
/// The code host in memory, for workflow tests that need no HTTP: pull requests, comments,
/// reactions, statuses, check runs, permissions, teams, commit → pulls, reviews and issues, with the
/// same test-facing members as <see cref="FakeGitHub"/> (AddPull, AddComment, CommentsOn, …) so a test
/// reads the same against either. Comments PlanBot writes are by <see cref="BotLogin"/>, as on GitHub;
/// an unknown pull request, comment or issue throws <see cref="VcsException"/> 404 like the REST client.
/// </summary>
public sealed class InMemoryVcs(TimeProvider? time = null) : IVcs
{
    public const string BotLogin = "planbot[bot]";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private long _ids = 1000;

    public Dictionary<int, PullRequestInfo> Pulls { get; } = [];
    public Dictionary<int, List<ChangedFile>?> PullFiles { get; } = [];
    public List<StoredComment> Comments { get; } = [];
    public List<(long CommentId, string Content)> Reactions { get; } = [];
    public List<(string Sha, CommitStatus Status)> Statuses { get; } = [];
    public List<CheckRun> CheckRuns { get; } = [];
    public Dictionary<string, (string Permission, string Role)> Permissions { get; } = new(StringComparer.OrdinalIgnoreCase);
    public HashSet<(string Team, string User)> TeamMembers { get; } = [];
    public Dictionary<string, List<int>> CommitPulls { get; } = new(StringComparer.Ordinal);
    public Dictionary<int, List<Review>> Reviews { get; } = [];
    public Dictionary<int, StoredIssue> Issues { get; } = [];

    public sealed record StoredComment(long Id, int Issue, string Body, string User, DateTimeOffset Created, DateTimeOffset Updated)
    {
        public IssueComment ToIssueComment() => new(Id, Body, User, Created, Updated);
    }

    public sealed record StoredIssue(int Number, string Title, string Body, string State, string[] Labels);

    public PullRequestInfo AddPull(int number, string head, string @base, string author = "alice", bool draft = false, string? forkRepo = null, string repo = "acme/infra") =>
        Pulls[number] = new PullRequestInfo
        {
            Number = number, HeadSha = head, BaseSha = @base, HeadRef = $"pr-{number}", Author = author, Draft = draft,
            FromFork = forkRepo is not null && !string.Equals(forkRepo, repo, StringComparison.OrdinalIgnoreCase),
            CloneUrl = $"https://github.com/{repo}.git",
        };

    public StoredComment AddComment(int issue, string body, string user, DateTimeOffset? created = null, DateTimeOffset? updated = null)
    {
        lock (_gate)
        {
            var at = created ?? _time.GetUtcNow();
            var comment = new StoredComment(++_ids, issue, body, user, at, updated ?? at);
            Comments.Add(comment);
            return comment;
        }
    }

    public IReadOnlyList<StoredComment> CommentsOn(int issue)
    {
        lock (_gate)
        {
            return [.. Comments.Where(c => c.Issue == issue)];
        }
    }

    public Task<PullRequestInfo> GetPullRequestAsync(string repo, int number, CancellationToken cancellationToken) =>
        Task.FromResult(Pulls.TryGetValue(number, out var pull) ? pull : throw NotFound($"GET /repos/{repo}/pulls/{number}"));

    public Task<IReadOnlyList<PullRequestInfo>> ListOpenPullRequestsAsync(string repo, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PullRequestInfo>>([.. Pulls.Values.Where(p => p.State == "open").OrderBy(p => p.Number)]);

    public Task<IReadOnlyList<ChangedFile>?> GetChangedFilesAsync(string repo, int number, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ChangedFile>?>(PullFiles.TryGetValue(number, out var files) ? files : []);

    public Task<IReadOnlyList<IssueComment>> ListCommentsAsync(string repo, int number, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<IssueComment>>([.. CommentsOn(number).OrderBy(c => c.Id).Select(c => c.ToIssueComment())]);

    public Task<IssueComment> CreateCommentAsync(string repo, int number, string body, CancellationToken cancellationToken) =>
        Task.FromResult(AddComment(number, body, BotLogin).ToIssueComment());

    public Task UpdateCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var index = Comments.FindIndex(c => c.Id == commentId);
            if (index < 0)
            {
                throw NotFound($"PATCH /repos/{repo}/issues/comments/{commentId}");
            }

            Comments[index] = Comments[index] with { Body = body, Updated = _time.GetUtcNow() };
        }

        return Task.CompletedTask;
    }

    public Task DeleteCommentAsync(string repo, long commentId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Comments.RemoveAll(c => c.Id == commentId); // already gone is what deleting it was for, as in the REST client
        }

        return Task.CompletedTask;
    }

    public Task AddReactionAsync(string repo, long commentId, string reaction, CancellationToken cancellationToken)
    {
        if (reaction is not ("+1" or "-1" or "laugh" or "confused" or "heart" or "hooray" or "rocket" or "eyes"))
        {
            throw new ArgumentException($"'{reaction}' is not a GitHub reaction (+1, -1, laugh, confused, heart, hooray, rocket, eyes)", nameof(reaction));
        }

        lock (_gate)
        {
            Reactions.Add((commentId, reaction));
        }

        return Task.CompletedTask;
    }

    public Task SetStatusAsync(string repo, string sha, CommitStatus status, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Statuses.Add((sha, status));
        }

        return Task.CompletedTask;
    }

    public Task<long> CreateCheckRunAsync(string repo, CheckRun run, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            CheckRuns.Add(run);
            return Task.FromResult((long)CheckRuns.Count);
        }
    }

    public Task UpdateCheckRunAsync(string repo, long checkRunId, CheckRun run, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (checkRunId < 1 || checkRunId > CheckRuns.Count)
            {
                throw NotFound($"PATCH /repos/{repo}/check-runs/{checkRunId}");
            }

            CheckRuns[(int)checkRunId - 1] = run;
        }

        return Task.CompletedTask;
    }

    public Task<UserPermission> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken) =>
        Task.FromResult(Permissions.TryGetValue(user, out var p) ? new UserPermission(p.Permission, p.Role) : new UserPermission("none", "none"));

    public Task<bool> IsTeamMemberAsync(string org, string teamSlug, string user, CancellationToken cancellationToken) =>
        Task.FromResult(TeamMembers.Contains((teamSlug, user)));

    public Task<IReadOnlyList<PullRequestInfo>> PullRequestsForCommitAsync(string repo, string sha, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PullRequestInfo>>([.. CommitPulls.GetValueOrDefault(sha, []).Select(n => Pulls[n])]);

    public Task<IReadOnlyList<Review>> ListReviewsAsync(string repo, int number, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Review>>([.. Reviews.GetValueOrDefault(number, [])]);

    public Task<IReadOnlyList<IssueInfo>> ListIssuesAsync(string repo, string label, string state, CancellationToken cancellationToken)
    {
        if (state is not ("open" or "closed" or "all"))
        {
            throw new ArgumentException($"'{state}' is not an issue state to list (open, closed, all)", nameof(state));
        }

        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<IssueInfo>>([.. Issues.Values.Where(i => (state == "all" || i.State == state) && i.Labels.Contains(label)).Select(Info)]);
        }
    }

    public Task<IssueInfo> CreateIssueAsync(string repo, string title, string body, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var number = 900 + Issues.Count;
            Issues[number] = new StoredIssue(number, title, body, "open", [.. labels]);
            return Task.FromResult(Info(Issues[number]));
        }
    }

    public Task UpdateIssueAsync(string repo, int number, string? body, string? state, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var issue = Issues.TryGetValue(number, out var found) ? found : throw NotFound($"PATCH /repos/{repo}/issues/{number}");
            Issues[number] = issue with { Body = body ?? issue.Body, State = state ?? issue.State };
        }

        return Task.CompletedTask;
    }

    private static IssueInfo Info(StoredIssue i) => new(i.Number, i.Title, i.Body, i.State);

    private static VcsException NotFound(string call) => new($"{call}: 404 Not Found", 404);
}
