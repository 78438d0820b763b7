using PlanBot.Core.Ports;
using PlanBot.Terraform.Files;
using PlanBot.Terraform.Git;

namespace PlanBot.Terraform.Checkout;

/// <summary>
/// An existing checkout: the Action's GITHUB_WORKSPACE or the local CLI's <c>--repo</c>. Other commits
/// are planned in a temporary worktree under dataDir/worktrees, removed afterwards.
/// </summary>
/// <param name="workspace">The checkout events act on (null: the CLI, which names its checkout per command).</param>
/// <param name="defaultBranchHead">The default branch's head when the host knows it (the Action's GITHUB_SHA).</param>
public sealed class WorktreeCheckout(string dataDir, string? workspace = null, string? defaultBranchHead = null, IProgress<string>? progress = null) : IRepoCheckout
{
    private readonly GitCli _git = new();

    private string Workspace => workspace ?? throw new InvalidOperationException("this checkout has no workspace: events need GITHUB_WORKSPACE or --repo");

    public async Task<CheckedOutTree> AtAsync(string repoDir, string sha, CancellationToken cancellationToken)
    {
        var checkedOut = await _git.ResolveAsync(repoDir, "HEAD", cancellationToken).ConfigureAwait(false);
        if (checkedOut == sha)
        {
            return new CheckedOutTree(repoDir, repoDir, new DiskFileTree(repoDir));
        }

        var temporary = Path.Combine(dataDir, "worktrees", sha[..12]);
        if (Directory.Exists(temporary))
        {
            await _git.RemoveWorktreeAsync(repoDir, temporary, cancellationToken).ConfigureAwait(false);
        }

        progress?.Report($"{sha} is not checked out; planning it in a worktree at {temporary}");
        await _git.AddWorktreeAsync(repoDir, sha, temporary, cancellationToken).ConfigureAwait(false);
        return new CheckedOutTree(repoDir, temporary, new DiskFileTree(temporary), async () =>
            await _git.RemoveWorktreeAsync(repoDir, temporary, CancellationToken.None).ConfigureAwait(false));
    }

    public Task<string> PullRequestAsync(string repo, PullRequestInfo pullRequest, CancellationToken cancellationToken) => Task.FromResult(Workspace);

    public string? ExistingPullRequest(string repo, int pullRequest) => Workspace;

    public Task ForgetPullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The workspace as it is: the Action checked out the commit of its event.</summary>
    public Task<CheckedOutTree> DefaultBranchAsync(string repo, string? sha, string? cloneUrl, CancellationToken cancellationToken) =>
        Task.FromResult(new CheckedOutTree(Workspace, Workspace, new DiskFileTree(Workspace)));

    public Task<string?> DefaultBranchHeadAsync(string repo, string? cloneUrl, CancellationToken cancellationToken) => Task.FromResult(defaultBranchHead);

    public IFileTree TreeOf(string root) => new DiskFileTree(root);
}
