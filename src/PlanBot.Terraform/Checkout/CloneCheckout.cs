using System.Collections.Concurrent;
using System.Text;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Files;
using PlanBot.Terraform.Git;
using PlanBot.Core.Common;

namespace PlanBot.Terraform.Checkout;

/// <summary>
/// The service's checkouts under dataDir/workspaces: one per pull request and one of each
/// repository's default branch, cloned blobless with the installation token passed as an
/// <c>http.extraHeader</c> in git's environment (<see cref="GitEnvironment.Config"/>: never in the URL, never on
/// the command line another local user can read in <c>ps</c>, never stored in .git/config) and fetched on every use.
/// Only https:// clone URLs; file:// ones when <paramref name="allowFileClone"/> (tests).
/// </summary>
/// <param name="token">The installation token for a repository.</param>
/// <param name="cloneBase">Where repositories are cloned from when the event names no clone URL.</param>
/// <param name="inherited">The environment git starts from instead of this process's own (tests); see <see cref="GitCli"/>.</param>
public sealed class CloneCheckout(string dataDir, Func<string, CancellationToken, Task<string>> token, bool allowFileClone, string cloneBase = "https://github.com/", IReadOnlyDictionary<string, string>? inherited = null) : IRepoCheckout
{
    /// <summary>The git version check; kept once it passed or found git too old, asked again after any other failure (a full disk, a failed fork).</summary>
    private Task<string?>? _gitReadsConfigEnvironment;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _defaultBranches = new(StringComparer.OrdinalIgnoreCase);
    private readonly WorktreeCheckout _worktrees = new(dataDir);

    public Task<CheckedOutTree> AtAsync(string repoDir, string sha, CancellationToken cancellationToken) => _worktrees.AtAsync(repoDir, sha, cancellationToken);

    public async Task<string> PullRequestAsync(string repo, PullRequestInfo pullRequest, CancellationToken cancellationToken)
    {
        var url = pullRequest.CloneUrl ?? $"https://github.com/{repo}.git";
        var auth = await AuthAsync(repo, url, cancellationToken).ConfigureAwait(false);
        var workspace = PullRequestDir(repo, pullRequest.Number);
        if (!Directory.Exists(Path.Combine(workspace, ".git")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(workspace)!);
            await GitCli.RunAsync(Path.GetDirectoryName(workspace)!, ["clone", "--quiet", "--filter=blob:none", "--no-checkout", url, workspace], cancellationToken, inherited: inherited, environment: auth).ConfigureAwait(false);
        }

        // a merged PR's commands (a new approval of held-back projects) plan its merge commit, too
        string[] commits = pullRequest.Merged && pullRequest.MergeCommitSha is { } merge ? [pullRequest.HeadSha, pullRequest.BaseSha, merge] : [pullRequest.HeadSha, pullRequest.BaseSha];
        // the base branch as it is now, too: the run's policy is read at its head (TrustedBase); without
        // it (a deleted branch, a name git refuses) the commits alone, and the policy falls back to the event's base
        var fetched = false;
        if (SafeBranch(pullRequest.BaseRef))
        {
            try
            {
                string[] branches = pullRequest.DefaultBranch is { } main && main != pullRequest.BaseRef && SafeBranch(main)
                    ? [$"+refs/heads/{pullRequest.BaseRef}:refs/remotes/origin/{pullRequest.BaseRef}", $"+refs/heads/{main}:refs/remotes/origin/{main}"] // the policy's branch
                    : [$"+refs/heads/{pullRequest.BaseRef}:refs/remotes/origin/{pullRequest.BaseRef}"];
                await GitCli.RunAsync(workspace, ["fetch", "--quiet", "origin", .. commits, .. branches], cancellationToken, inherited: inherited, environment: auth).ConfigureAwait(false);
                fetched = true;
            }
            catch (UsageException)
            {
                // the branch is gone: fetch the commits alone below
            }
        }

        if (!fetched)
        {
            await GitCli.RunAsync(workspace, ["fetch", "--quiet", "origin", .. commits], cancellationToken, inherited: inherited, environment: auth).ConfigureAwait(false);
        }

        await GitCli.RunAsync(workspace, ["checkout", "--quiet", "--force", "--detach", pullRequest.HeadSha], cancellationToken, inherited: inherited).ConfigureAwait(false);
        return workspace;
    }

    public string? ExistingPullRequest(string repo, int pullRequest) => PullRequestDir(repo, pullRequest) is var dir && Directory.Exists(dir) ? dir : null;

    public Task ForgetPullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken)
    {
        var dir = PullRequestDir(repo, pullRequest);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// One user at a time of a repository's default-branch workspace: the applies of two merges and a
    /// drift check each check out their own commit there and run terraform in it.
    /// </summary>
    public async Task<CheckedOutTree> DefaultBranchAsync(string repo, string? sha, string? cloneUrl, CancellationToken cancellationToken)
    {
        var gate = _defaultBranches.GetOrAdd(repo, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var workspace = await FetchDefaultBranchAsync(repo, cloneUrl, cancellationToken).ConfigureAwait(false);
            await GitCli.RunAsync(workspace, ["checkout", "--quiet", "--force", "--detach", sha ?? "origin/HEAD"], cancellationToken, inherited: inherited).ConfigureAwait(false);
            return new CheckedOutTree(workspace, workspace, new DiskFileTree(workspace), () =>
            {
                gate.Release();
                return ValueTask.CompletedTask;
            });
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>
    /// The remote's default-branch head now: <c>git ls-remote URL refs/heads/DEFAULT</c>, the branch
    /// being the one <c>origin/HEAD</c> named when the workspace was cloned. Read-only, so it takes no
    /// turn of the default-branch workspace: an apply holding that workspace asks it again right before
    /// each project's apply. Before the first clone: cloned and fetched under the workspace's turn.
    /// </summary>
    public async Task<string?> DefaultBranchHeadAsync(string repo, string? cloneUrl, CancellationToken cancellationToken)
    {
        var url = cloneUrl ?? $"{cloneBase.TrimEnd('/')}/{repo}.git";
        var workspace = Path.Combine(dataDir, "workspaces", repo.Replace('/', '~'), "default-branch");
        if (Directory.Exists(Path.Combine(workspace, ".git")))
        {
            var remoteHead = (await GitCli.RunAsync(workspace, ["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"], cancellationToken, allowFailure: true, inherited: inherited).ConfigureAwait(false)).Trim();
            const string prefix = "refs/remotes/origin/";
            if (remoteHead.StartsWith(prefix, StringComparison.Ordinal) && SafeBranch(remoteHead[prefix.Length..]))
            {
                var auth = await AuthAsync(repo, url, cancellationToken).ConfigureAwait(false);
                var listed = await GitCli.RunAsync(workspace, ["ls-remote", "--", url, "refs/heads/" + remoteHead[prefix.Length..]], cancellationToken, inherited: inherited, environment: auth).ConfigureAwait(false);
                var sha = listed.Split('\t', 2)[0].Trim();
                return sha.Length == 40 && sha.All(char.IsAsciiHexDigitLower) ? sha : null;
            }

            return null; // no origin/HEAD in the clone: not known (never waiting for the workspace's turn, which the caller may hold)
        }

        var gate = _defaultBranches.GetOrAdd(repo, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var fetched = await FetchDefaultBranchAsync(repo, cloneUrl, cancellationToken).ConfigureAwait(false);
            return (await GitCli.RunAsync(fetched, ["rev-parse", "origin/HEAD"], cancellationToken, inherited: inherited).ConfigureAwait(false)).Trim();
        }
        finally
        {
            gate.Release();
        }
    }

    public IFileTree TreeOf(string root) => new DiskFileTree(root);

    /// <summary>A branch name that is safe in a refspec as it is (GitHub's names are; anything else is not fetched by name).</summary>
    private static bool SafeBranch(string name) =>
        name.Length is > 0 and <= 255 && name[0] is not '-' and not '/' && !name.EndsWith('/') && !name.EndsWith(".lock", StringComparison.Ordinal)
        && !name.Contains("..", StringComparison.Ordinal) && !name.Contains("//", StringComparison.Ordinal) && !name.Contains("@{", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/');

    private string PullRequestDir(string repo, int pullRequest) => Path.Combine(dataDir, "workspaces", repo.Replace('/', '~'), $"pr-{pullRequest}");

    /// <summary>The repository's default-branch workspace, cloned once (blobless) and fetched on every use.</summary>
    private async Task<string> FetchDefaultBranchAsync(string repo, string? cloneUrl, CancellationToken cancellationToken)
    {
        var url = cloneUrl ?? $"{cloneBase.TrimEnd('/')}/{repo}.git";
        var workspace = Path.Combine(dataDir, "workspaces", repo.Replace('/', '~'), "default-branch");
        var auth = await AuthAsync(repo, url, cancellationToken).ConfigureAwait(false);
        if (!Directory.Exists(Path.Combine(workspace, ".git")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(workspace)!);
            await GitCli.RunAsync(Path.GetDirectoryName(workspace)!, ["clone", "--quiet", "--filter=blob:none", url, workspace], cancellationToken, inherited: inherited, environment: auth).ConfigureAwait(false);
        }

        await GitCli.RunAsync(workspace, ["fetch", "--quiet", "origin"], cancellationToken, inherited: inherited, environment: auth).ConfigureAwait(false);
        return workspace;
    }

    /// <summary>
    /// The one-command git environment that authenticates a clone or fetch (the header in <c>GIT_CONFIG_*</c>,
    /// which only PlanBot's user can read, not in <c>-c</c>, which every local user can); refuses URLs that are
    /// not https (or file:// when allowed), and a git too old to read that environment.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string?>> AuthAsync(string repo, string url, CancellationToken cancellationToken)
    {
        if (url.StartsWith("file://", StringComparison.Ordinal) ? !allowFileClone : !url.StartsWith("https://", StringComparison.Ordinal))
        {
            throw new UsageException($"clone URL {url} refused: only https:// (file:// needs PLANBOT_ALLOW_FILE_CLONE=1, for tests)");
        }

        var check = _gitReadsConfigEnvironment;
        if (check is null || check.IsFaulted || check.IsCanceled)
        {
            check = _gitReadsConfigEnvironment = GitReadsConfigEnvironmentAsync(dataDir, inherited); // two racing checks are harmless
        }

        if (await check.WaitAsync(cancellationToken).ConfigureAwait(false) is { } tooOld)
        {
            throw new UsageException($"{tooOld} is too old for the webhook service: it passes the installation token in GIT_CONFIG_COUNT/GIT_CONFIG_KEY_0/GIT_CONFIG_VALUE_0, which git reads from {GitEnvironment.ConfigEnvironmentSince} on; install git 2.31 or newer");
        }

        var value = await token(repo, cancellationToken).ConfigureAwait(false);
        return GitEnvironment.Config(("http.extraHeader", "AUTHORIZATION: basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + value))));
    }

    /// <summary>
    /// Once per process: an older git than 2.31 ignores <c>GIT_CONFIG_COUNT</c>, so every fetch would go without the
    /// token and fail with an authentication error that names neither cause nor fix. The version git gave when it is
    /// older (the caller says so, and the fix), else null.
    /// </summary>
    private static async Task<string?> GitReadsConfigEnvironmentAsync(string dataDir, IReadOnlyDictionary<string, string>? inherited)
    {
        Directory.CreateDirectory(dataDir);
        var output = await GitCli.RunAsync(dataDir, ["--version"], CancellationToken.None, query: true, inherited: inherited).ConfigureAwait(false);
        return GitEnvironment.ParseVersion(output) is { } version && version < GitEnvironment.ConfigEnvironmentSince ? output.Trim() : null;
    }
}
