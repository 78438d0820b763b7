using System.Text;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.GitHub.Auth;
using PlanBot.GitHub.Rest;
using PlanBot.GitHub.Webhooks;
using PlanBot.Hosting;
using PlanBot.Server;
using PlanBot.Terraform.Git;

namespace PlanBot.Cli.Commands;

/// <summary>
/// The service's work for one delivery: a per-PR workspace under PLANBOT_DATA_DIR/workspaces, cloned
/// blobless from the repository's clone_url with the installation token passed as an
/// <c>http.extraHeader</c> (never in the URL, never stored in .git/config), fetched and checked out at
/// the head SHA, then the same workflows as the Action. file:// clone URLs only with
/// PLANBOT_ALLOW_FILE_CLONE=1 (tests).
/// </summary>
public sealed class ServiceHandler(CliContext cli, GitHubClient vcs, ITokenSource tokens, string dataDir, bool allowFileClone) : IDeliveryHandler
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _defaultBranches = new(StringComparer.OrdinalIgnoreCase);

    public async Task HandleAsync(Delivery delivery, WebhookEvent parsed, CancellationToken cancellationToken)
    {
        var runId = delivery.RunId is { Length: > 0 } stable ? stable : $"serve-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]; // the queue's: a re-run after a crash holds its dead run's leases
        try
        {
            await DispatchAsync(delivery, parsed, runId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            DeleteRunFiles(runId);
        }
    }

    /// <summary>
    /// Plan files hold secrets in plain text and nothing reads them after the delivery that made them
    /// (an apply uses the plan of its own re-plan), so they do not stay on the service's disk.
    /// </summary>
    private void DeleteRunFiles(string runId)
    {
        var runs = Path.Combine(dataDir, "runs");
        if (!Directory.Exists(runs))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(runs, "*-" + PlanCommand.RunDirSuffix(runId)))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException e)
            {
                cli.Progress.Report($"could not delete the plan files in {dir}: {e.Message}");
            }
        }
    }

    private async Task DispatchAsync(Delivery delivery, WebhookEvent parsed, string runId, CancellationToken cancellationToken)
    {
        switch (parsed)
        {
            case WebhookEvent.PullRequestChanged changed:
                await PlanAsync(changed.Repo, changed.PullRequest, null, runId, cancellationToken).ConfigureAwait(false);
                break;
            case WebhookEvent.Command command:
                var pr = await vcs.GetPullRequestAsync(command.Repo, command.Number, cancellationToken).ConfigureAwait(false);
                await PlanAsync(command.Repo, pr, command.Comment, runId, cancellationToken).ConfigureAwait(false);
                break;
            case WebhookEvent.PullRequestClosed closed:
                var workspace = Workspace(closed.Repo, closed.PullRequest.Number);
                var config = Directory.Exists(workspace) ? ConfigLoader.Load(workspace) : PlanBotConfig.Default;
                await new PullRequestClosedWorkflow(Stores.Locks(config, dataDir, TimeProvider.System, vcs), Stores.Plans(config, dataDir), cli.Progress)
                    .RunAsync(closed.Repo, closed.PullRequest.Number, cancellationToken, closed.MergedIntoDefaultBranch && config.ApplyMode == ApplyMode.OnMerge).ConfigureAwait(false);
                if (Directory.Exists(workspace))
                {
                    Directory.Delete(workspace, recursive: true);
                }

                break;
            case WebhookEvent.PushToDefaultBranch push:
                await MergeAsync(push.Repo, push.Sha, CloneUrl(delivery, push.Repo), runId, cancellationToken).ConfigureAwait(false);
                break;
            default:
                cli.Progress.Report($"{delivery.Event} for {parsed.Repo}: not handled by the service");
                break;
        }
    }

    private async Task PlanAsync(string repo, PullRequestInfo pr, IssueComment? comment, string runId, CancellationToken cancellationToken)
    {
        var workspace = await CheckoutAsync(repo, pr, cancellationToken).ConfigureAwait(false);
        var config = ConfigLoader.Load(workspace);
        var workflows = Workflows(repo, pr.CloneUrl ?? $"https://github.com/{repo}.git", config);
        var options = CommentOptions.ForComment(config.Comments) with { FooterNote = config.LocksBackend == "github" ? CommentOptions.GitHubLocksNote : null };
        var context = new PullRequestContext { Repo = repo, PullRequest = pr, RepoDir = workspace, RunId = runId };
        if (comment is null)
        {
            await workflows.PullRequests.RunAsync(context, config, options, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await workflows.Commands.RunAsync(context, comment, config, options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A push to the default branch: the merge workflow in a workspace checked out at the pushed commit.</summary>
    private Task MergeAsync(string repo, string sha, string cloneUrl, string runId, CancellationToken cancellationToken) =>
        OnDefaultBranchAsync(repo, cloneUrl, async workspace =>
        {
            await GitCli.RunAsync(workspace, ["checkout", "--quiet", "--force", "--detach", sha], cancellationToken).ConfigureAwait(false);
            var config = ConfigLoader.Load(workspace);
            var context = new PullRequestContext { Repo = repo, PullRequest = new PullRequestInfo { Number = 0, HeadSha = sha, BaseSha = sha }, RepoDir = workspace, RunId = runId };
            return await Workflows(repo, cloneUrl, config).Merges.RunAsync(context, sha, config, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// One user at a time of a repository's default-branch workspace: the applies of two merges and a
    /// drift check each check out their own commit there and run terraform in it.
    /// </summary>
    private async Task<T> OnDefaultBranchAsync<T>(string repo, string cloneUrl, Func<string, Task<T>> work, CancellationToken cancellationToken)
    {
        var gate = _defaultBranches.GetOrAdd(repo, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work(await DefaultBranchAsync(repo, cloneUrl, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private GitHubWorkflows Workflows(string repo, string cloneUrl, PlanBotConfig config) =>
        new(cli, vcs, Stores.Locks(config, dataDir, TimeProvider.System, vcs), config, dataDir, ct =>
            OnDefaultBranchAsync<string?>(repo, cloneUrl, async workspace => (await GitCli.RunAsync(workspace, ["rev-parse", "origin/HEAD"], ct).ConfigureAwait(false)).Trim(), ct));

    /// <summary>The repository's clone URL from the delivery's payload (push events carry it), else github.com's.</summary>
    private static string CloneUrl(Delivery delivery, string repo)
    {
        using var payload = System.Text.Json.JsonDocument.Parse(delivery.Body);
        return payload.RootElement.TryGetProperty("repository", out var repository) && repository.TryGetProperty("clone_url", out var url) && url.GetString() is { Length: > 0 } clone
            ? clone
            : $"https://github.com/{repo}.git";
    }

    private string Workspace(string repo, int pr) => Path.Combine(dataDir, "workspaces", repo.Replace('/', '~'), $"pr-{pr}");

    /// <summary>The service's scheduled drift check of one repository's default branch, and its drift issue.</summary>
    public async Task DriftAsync(string repo, string cloneUrl, CancellationToken cancellationToken)
    {
        var runId = $"serve-drift-{Environment.ProcessId}";
        try
        {
            await OnDefaultBranchAsync(repo, cloneUrl, workspace => DriftInAsync(repo, workspace, runId, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            DeleteRunFiles(runId);
        }
    }

    private async Task<bool> DriftInAsync(string repo, string workspace, string runId, CancellationToken cancellationToken)
    {
        await GitCli.RunAsync(workspace, ["checkout", "--quiet", "--force", "--detach", "origin/HEAD"], cancellationToken).ConfigureAwait(false);
        var config = ConfigLoader.Load(workspace);
        var issues = new DriftIssueWorkflow(vcs);
        var (open, firstSeen) = await issues.ReadAsync(repo, cancellationToken).ConfigureAwait(false);
        var report = await DriftCommand.RunAsync(cli, workspace, [], dataDir, Stores.Locks(config, dataDir, TimeProvider.System, vcs), runId, firstSeen, cancellationToken).ConfigureAwait(false);
        var action = await issues.SyncAsync(repo, report, open, CommentOptions.ForComment(config.Comments), cancellationToken).ConfigureAwait(false);
        cli.Progress.Report($"drift {repo}: {report.Drifted.Count} drifted; issue {action.ToString().ToLowerInvariant()}");
        return report.Drifted.Count > 0;
    }

    /// <summary>The repository's default-branch workspace, cloned once (blobless) and fetched on every use.</summary>
    private async Task<string> DefaultBranchAsync(string repo, string cloneUrl, CancellationToken cancellationToken)
    {
        var workspace = Path.Combine(dataDir, "workspaces", repo.Replace('/', '~'), "default-branch");
        var auth = await AuthAsync(repo, cloneUrl, cancellationToken).ConfigureAwait(false);
        if (!Directory.Exists(Path.Combine(workspace, ".git")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(workspace)!);
            await GitCli.RunAsync(Path.GetDirectoryName(workspace)!, [.. auth, "clone", "--quiet", "--filter=blob:none", cloneUrl, workspace], cancellationToken).ConfigureAwait(false);
        }

        await GitCli.RunAsync(workspace, [.. auth, "fetch", "--quiet", "origin"], cancellationToken).ConfigureAwait(false);
        return workspace;
    }

    /// <summary>The one-command git config that authenticates a clone or fetch; refuses URLs that are not https (or file:// when allowed).</summary>
    private async Task<string[]> AuthAsync(string repo, string url, CancellationToken cancellationToken)
    {
        if (url.StartsWith("file://", StringComparison.Ordinal) ? !allowFileClone : !url.StartsWith("https://", StringComparison.Ordinal))
        {
            throw new UsageException($"clone URL {url} refused: only https:// (file:// needs PLANBOT_ALLOW_FILE_CLONE=1, for tests)");
        }

        var token = await tokens.GetTokenAsync(repo, cancellationToken).ConfigureAwait(false);
        return ["-c", "http.extraHeader=AUTHORIZATION: basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + token))];
    }

    private async Task<string> CheckoutAsync(string repo, PullRequestInfo pr, CancellationToken cancellationToken)
    {
        var url = pr.CloneUrl ?? $"https://github.com/{repo}.git";
        var auth = await AuthAsync(repo, url, cancellationToken).ConfigureAwait(false);
        var workspace = Workspace(repo, pr.Number);
        if (!Directory.Exists(Path.Combine(workspace, ".git")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(workspace)!);
            await GitCli.RunAsync(Path.GetDirectoryName(workspace)!, [.. auth, "clone", "--quiet", "--filter=blob:none", "--no-checkout", url, workspace], cancellationToken).ConfigureAwait(false);
        }

        // a merged PR's commands (a new approval of held-back projects) plan its merge commit, too
        string[] commits = pr.Merged && pr.MergeCommitSha is { } merge ? [pr.HeadSha, pr.BaseSha, merge] : [pr.HeadSha, pr.BaseSha];
        await GitCli.RunAsync(workspace, [.. auth, "fetch", "--quiet", "origin", .. commits], cancellationToken).ConfigureAwait(false);
        await GitCli.RunAsync(workspace, ["checkout", "--quiet", "--force", "--detach", pr.HeadSha], cancellationToken).ConfigureAwait(false);
        return workspace;
    }
}
