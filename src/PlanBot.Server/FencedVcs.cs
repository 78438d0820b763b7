using PlanBot.Core.Ports;

namespace PlanBot.Server;

/// <summary>
/// The code host as the workflows see it when replicas share a queue: every write (comments,
/// reactions, statuses, check runs, issues) first renews the delivery's PR lease with its fencing
/// token, and is refused with <see cref="LeaseLostException"/> once a newer holder took it over (this
/// replica stalled past the lease, and another replica now runs that PR's work). Reads pass through.
/// The lease of the running delivery flows with its async calls (<see cref="AsyncLocal{T}"/>), so one
/// client serves every delivery; work outside a delivery (dead-letter notices) is not fenced.
/// GitHub takes no token with a write, so a write already sent when the lease expires still lands:
/// the heartbeat keeps that window to the time of one request, never a whole run.
/// </summary>
public sealed class FencedVcs(IVcs inner) : IVcs
{
    private static readonly AsyncLocal<Fence?> Current = new();

    /// <summary>Fences the writes of the code that runs until the returned scope is disposed.</summary>
    public static IDisposable Enter(Fence fence)
    {
        var before = Current.Value;
        Current.Value = fence;
        return new Scope(before);
    }

    private sealed class Scope(Fence? before) : IDisposable
    {
        public void Dispose() => Current.Value = before;
    }

    private static async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (Current.Value is { } fence)
        {
            await fence.CheckAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<PullRequestInfo> GetPullRequestAsync(string repo, int number, CancellationToken cancellationToken) => inner.GetPullRequestAsync(repo, number, cancellationToken);

    public Task<IReadOnlyList<PullRequestInfo>> ListOpenPullRequestsAsync(string repo, CancellationToken cancellationToken) => inner.ListOpenPullRequestsAsync(repo, cancellationToken);

    public Task<IReadOnlyList<ChangedFile>?> GetChangedFilesAsync(string repo, int number, CancellationToken cancellationToken) => inner.GetChangedFilesAsync(repo, number, cancellationToken);

    public Task<IReadOnlyList<IssueComment>> ListCommentsAsync(string repo, int number, CancellationToken cancellationToken) => inner.ListCommentsAsync(repo, number, cancellationToken);

    public async Task<IssueComment> CreateCommentAsync(string repo, int number, string body, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        return await inner.CreateCommentAsync(repo, number, body, cancellationToken).ConfigureAwait(false);
    }

    public async Task UpdateCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        await inner.UpdateCommentAsync(repo, commentId, body, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteCommentAsync(string repo, long commentId, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        await inner.DeleteCommentAsync(repo, commentId, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddReactionAsync(string repo, long commentId, string reaction, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        await inner.AddReactionAsync(repo, commentId, reaction, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetStatusAsync(string repo, string sha, CommitStatus status, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        await inner.SetStatusAsync(repo, sha, status, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> CreateCheckRunAsync(string repo, CheckRun run, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        return await inner.CreateCheckRunAsync(repo, run, cancellationToken).ConfigureAwait(false);
    }

    public async Task UpdateCheckRunAsync(string repo, long checkRunId, CheckRun run, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        await inner.UpdateCheckRunAsync(repo, checkRunId, run, cancellationToken).ConfigureAwait(false);
    }

    public Task<UserPermission> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken) => inner.GetPermissionAsync(repo, user, cancellationToken);

    public Task<bool> IsTeamMemberAsync(string org, string teamSlug, string user, CancellationToken cancellationToken) => inner.IsTeamMemberAsync(org, teamSlug, user, cancellationToken);

    public Task<IReadOnlyList<PullRequestInfo>> PullRequestsForCommitAsync(string repo, string sha, CancellationToken cancellationToken) => inner.PullRequestsForCommitAsync(repo, sha, cancellationToken);

    public Task<IReadOnlyList<Review>> ListReviewsAsync(string repo, int number, CancellationToken cancellationToken) => inner.ListReviewsAsync(repo, number, cancellationToken);

    public Task<IReadOnlyList<IssueInfo>> ListIssuesAsync(string repo, string label, string state, CancellationToken cancellationToken) => inner.ListIssuesAsync(repo, label, state, cancellationToken);

    public async Task<IssueInfo> CreateIssueAsync(string repo, string title, string body, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        return await inner.CreateIssueAsync(repo, title, body, labels, cancellationToken).ConfigureAwait(false);
    }

    public async Task UpdateIssueAsync(string repo, int number, string? body, string? state, CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        await inner.UpdateIssueAsync(repo, number, body, state, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>One delivery's hold on its PR's lease: renewed (and so checked) before every write.</summary>
public sealed class Fence(ILeaseStore leases, Lease lease, TimeSpan ttl)
{
    public Lease Lease => lease;

    /// <exception cref="LeaseLostException">A newer holder has the lease: this write must not happen.</exception>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (!await leases.RenewAsync(lease, ttl, cancellationToken).ConfigureAwait(false))
        {
            throw new LeaseLostException($"{lease.Key}: this replica's lease (token {lease.Token}) expired or was taken over by a newer holder, so its write was refused; the newer holder runs this PR's work");
        }
    }
}

/// <summary>A stale replica's write, refused by its fence.</summary>
public sealed class LeaseLostException : Exception
{
    public LeaseLostException()
    {
    }

    public LeaseLostException(string message)
        : base(message)
    {
    }

    public LeaseLostException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
