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
        var checkedOut = DetachedHead(repoDir) ?? await _git.ResolveAsync(repoDir, "HEAD", cancellationToken).ConfigureAwait(false);
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

    /// <summary>The checkout itself when its HEAD is detached exactly at <paramref name="sha"/> (read from .git/HEAD: <see cref="DetachedHead"/>), as <see cref="AtAsync"/> gives it.</summary>
    public IFileTree? InPlace(string repoDir, string sha) => DetachedHead(repoDir) is { } head && head == sha ? new DiskFileTree(repoDir) : null;

    /// <summary>
    /// The commit of a detached HEAD read from <c>REPO/.git/HEAD</c> itself, without a git process (issue 19: the
    /// Action's workspace is a detached HEAD at the event's commit, and a process costs the run's start 5–10 ms).
    /// Only the plainest case is read: <c>.git</c> a directory (not a worktree's or submodule's <c>.git</c> file)
    /// holding a HEAD that is exactly a 40-hex SHA: the file <c>git -C REPO rev-parse HEAD</c> reads there.
    /// Anything else (a branch checked out, a SHA-256 repository, an unreadable file): null, and git is asked.
    /// </summary>
    public static string? DetachedHead(string repoDir)
    {
        var head = Path.Combine(repoDir, ".git", "HEAD");
        Span<byte> bytes = stackalloc byte[42];
        try
        {
            if (!Directory.Exists(Path.Combine(repoDir, ".git")))
            {
                return null;
            }

            using var file = new FileStream(head, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var read = 0;
            while (read < bytes.Length && file.Read(bytes[read..]) is var n and > 0)
            {
                read += n;
            }

            // git writes the SHA and a newline; a longer file, another ending or anything that is not lower-case hex is not read here
            var text = read == 41 && bytes[40] == (byte)'\n' ? bytes[..40] : read == 40 ? bytes[..40] : default;
            if (text.Length != 40 || System.Text.Ascii.IsValid(text) is false)
            {
                return null;
            }

            var sha = System.Text.Encoding.ASCII.GetString(text);
            return sha.All(char.IsAsciiHexDigitLower) ? sha : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // git says why
        }
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
