namespace PlanBot.Core.Ports;

/// <summary>
/// The code host, as the workflows need it (GitHub today: PlanBot.GitHub). Repositories are
/// "owner/name". Implementations retry transient failures themselves and throw
/// <see cref="VcsException"/> with a message that never contains a credential.
/// </summary>
public interface IVcs
{
    Task<PullRequestInfo> GetPullRequestAsync(string repo, int number, CancellationToken cancellationToken);

    Task<IReadOnlyList<PullRequestInfo>> ListOpenPullRequestsAsync(string repo, CancellationToken cancellationToken);

    /// <summary>The PR's changed files, or null when GitHub's 3,000-file cap truncates the list (use git diff then).</summary>
    Task<IReadOnlyList<ChangedFile>?> GetChangedFilesAsync(string repo, int number, CancellationToken cancellationToken);

    Task<IReadOnlyList<IssueComment>> ListCommentsAsync(string repo, int number, CancellationToken cancellationToken);

    Task<IssueComment> CreateCommentAsync(string repo, int number, string body, CancellationToken cancellationToken);

    Task UpdateCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken);

    Task DeleteCommentAsync(string repo, long commentId, CancellationToken cancellationToken);

    /// <summary>A reaction on an issue comment: +1, -1, eyes, rocket, confused, …</summary>
    Task AddReactionAsync(string repo, long commentId, string reaction, CancellationToken cancellationToken);

    Task SetStatusAsync(string repo, string sha, CommitStatus status, CancellationToken cancellationToken);

    /// <returns>The check run's id, for <see cref="UpdateCheckRunAsync"/>.</returns>
    Task<long> CreateCheckRunAsync(string repo, CheckRun run, CancellationToken cancellationToken);

    Task UpdateCheckRunAsync(string repo, long checkRunId, CheckRun run, CancellationToken cancellationToken);

    /// <summary>The user's permission (admin/write/read/none) and finer role (admin, maintain, write, triage, read).</summary>
    Task<UserPermission> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken);

    Task<bool> IsTeamMemberAsync(string org, string teamSlug, string user, CancellationToken cancellationToken);

    Task<IReadOnlyList<PullRequestInfo>> PullRequestsForCommitAsync(string repo, string sha, CancellationToken cancellationToken);

    /// <summary>The PR's reviews (who approved, requested changes or commented, on which commit).</summary>
    Task<IReadOnlyList<Review>> ListReviewsAsync(string repo, int number, CancellationToken cancellationToken);

    /// <summary>Issues (not PRs) with a label, for the drift report.</summary>
    Task<IReadOnlyList<IssueInfo>> ListIssuesAsync(string repo, string label, string state, CancellationToken cancellationToken);

    Task<IssueInfo> CreateIssueAsync(string repo, string title, string body, IReadOnlyList<string> labels, CancellationToken cancellationToken);

    /// <summary>Edits an issue; null arguments are left as they are. State is open or closed.</summary>
    Task UpdateIssueAsync(string repo, int number, string? body, string? state, CancellationToken cancellationToken);
}

public sealed record Review(long Id, string User, string State, string? CommitId);

public sealed record IssueInfo(int Number, string Title, string Body, string State);

public sealed record PullRequestInfo
{
    public required int Number { get; init; }
    public required string HeadSha { get; init; }
    public required string BaseSha { get; init; }
    public string BaseRef { get; init; } = "main";
    /// <summary>The repository's default branch, where a PR's policy is read whatever its base (null: unknown, the base branch stands for it).</summary>
    public string? DefaultBranch { get; init; }
    public string HeadRef { get; init; } = "";
    public string Author { get; init; } = "";
    public string State { get; init; } = "open";
    public bool Draft { get; init; }
    public bool Merged { get; init; }
    /// <summary>The head lives in another repository (a fork): its code must not run with our credentials.</summary>
    public bool FromFork { get; init; }
    public string? CloneUrl { get; init; }
    /// <summary>The commit the merge made on the base branch, once merged.</summary>
    public string? MergeCommitSha { get; init; }
}

public sealed record IssueComment(long Id, string Body, string Author, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public enum CommitState
{
    Pending,
    Success,
    Failure,
    Error,
}

public sealed record CommitStatus(CommitState State, string Context, string Description, string? TargetUrl = null);

/// <summary>A completed check run; <see cref="Conclusion"/> is GitHub's (success, neutral, failure, action_required).</summary>
public sealed record CheckRun(string Name, string HeadSha, string Conclusion, string Title, string Summary, string? Text = null);

public sealed record UserPermission(string Permission, string? RoleName);

/// <summary>A request the code host refused or could not answer; the message names the call, never a token.</summary>
public sealed class VcsException : Exception
{
    public VcsException(string message, int? status = null)
        : base(message)
    {
        Status = status;
    }

    public VcsException()
        : this("the code host refused the request")
    {
    }

    public VcsException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public VcsException(string message)
        : this(message, (int?)null)
    {
    }

    public int? Status { get; }
}
