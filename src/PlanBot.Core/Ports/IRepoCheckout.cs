namespace PlanBot.Core.Ports;

/// <summary>A working tree on disk at one commit; disposing it removes it when it was made for the caller.</summary>
public sealed class CheckedOutTree(string repoDir, string root, IFileTree tree, Func<ValueTask>? release = null) : IAsyncDisposable
{
    /// <summary>The git checkout holding the commits (the tree's own repository, or the one a worktree was added to).</summary>
    public string RepoDir { get; } = repoDir;

    /// <summary>The tree's root directory: terraform runs under it.</summary>
    public string Root { get; } = root;

    public IFileTree Tree { get; } = tree;

    public ValueTask DisposeAsync() => release?.Invoke() ?? ValueTask.CompletedTask;
}

/// <summary>
/// Where a repository's code is on disk. Two implementations (PlanBot.Terraform): the Action's
/// and the local CLI's existing checkout, with temporary worktrees for other commits; and the
/// service's clones, one per pull request plus one of the default branch per repository.
/// </summary>
public interface IRepoCheckout
{
    /// <summary>A tree at <paramref name="sha"/>: the checkout itself when that commit is checked out there, else a temporary worktree.</summary>
    Task<CheckedOutTree> AtAsync(string repoDir, string sha, CancellationToken cancellationToken);

    /// <summary>A git checkout of the pull request with its head checked out and its base (and merge commit) present.</summary>
    Task<string> PullRequestAsync(string repo, PullRequestInfo pullRequest, CancellationToken cancellationToken);

    /// <summary>The pull request's checkout when one exists (a closed PR's configuration), else null.</summary>
    string? ExistingPullRequest(string repo, int pullRequest);

    /// <summary>Removes what the checkout kept for a closed pull request.</summary>
    Task ForgetPullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken);

    /// <summary>
    /// The default branch checked out at <paramref name="sha"/> (null: the branch's head), for the
    /// caller alone until disposed: merges and drift checks run terraform there one at a time.
    /// </summary>
    Task<CheckedOutTree> DefaultBranchAsync(string repo, string? sha, string? cloneUrl, CancellationToken cancellationToken);

    /// <summary>The default branch's head commit now; null when it cannot be known.</summary>
    Task<string?> DefaultBranchHeadAsync(string repo, string? cloneUrl, CancellationToken cancellationToken);

    /// <summary>The files of a directory on disk, for discovery.</summary>
    IFileTree TreeOf(string root);

    /// <summary>
    /// The tree <see cref="AtAsync"/> would give for <paramref name="sha"/> when it is the checkout itself, known
    /// without starting a process (the Action's workspace at the event's head); null when it would be another
    /// tree or that is not known at once. A run reads its Terraform files ahead from it (<see cref="Discovery.TreeReadAhead"/>).
    /// </summary>
    IFileTree? InPlace(string repoDir, string sha) => null;
}
