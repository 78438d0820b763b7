using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Git;

namespace PlanBot.Cli.Commands;

/// <summary>
/// The PR, command and merge workflows wired to the local engine, built the same way for the Action
/// (`planbot run`) and the service (`planbot serve`): only where the checkout lives and how the
/// default branch's head is known differ.
/// </summary>
public sealed class GitHubWorkflows(CliContext cli, IVcs vcs, ILockStore locks, PlanBotConfig config, string dataDir, Func<CancellationToken, Task<string?>> defaultBranchHead)
{
    public Task<RunReport> PlanAsync(PullRequestContext context, LockOwner owner, IReadOnlyList<ChangedFile>? files, CancellationToken cancellationToken) =>
        PlanCommand.RunAsync(cli, context.RepoDir, context.PullRequest.BaseSha, context.PullRequest.HeadSha, context.Projects, dataDir, cancellationToken, owner, files, locks);

    public PullRequestWorkflow PullRequests => new(vcs, PlanAsync, locks, cli.Progress);

    public MergeWorkflow Merges => new(vcs, PlanAsync, Apply, locks, cli.Progress);

    public CommandWorkflow Commands => new(vcs, PullRequests, locks, cli.Progress, ApplyMergedAsync, Apply, UpToDateAsync,
        context => Core.Discovery.ProjectDiscovery.Discover(new Terraform.Files.DiskFileTree(context.RepoDir), ConfigLoader.Load(context.RepoDir)).Projects);

    private ApplyWorkflow Apply => new(Engine.Terraform(config.Terraform, dataDir), cli.Progress);

    /// <summary>Only the default branch's head is applied after a new approval: an older merge would undo what came after it.</summary>
    private async Task<IReadOnlyList<ApplyResult>?> ApplyMergedAsync(PullRequestContext context, string sha, CancellationToken cancellationToken)
    {
        if (await defaultBranchHead(cancellationToken).ConfigureAwait(false) != sha)
        {
            await vcs.CreateCommentAsync(context.Repo, context.PullRequest.Number, $"{MergeWorkflow.Marker}\nThe default branch has moved on since `{Naming.ShortSha(sha)}`: PlanBot applies only its head. The held-back projects are applied by the next merge that plans them.", cancellationToken).ConfigureAwait(false);
            return null;
        }

        return await Merges.RunAsync(context, sha, config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The PR's head contains its base branch's head (origin/BASE in the checkout, else BASE).</summary>
    private static async Task<bool> UpToDateAsync(PullRequestContext context, CancellationToken cancellationToken)
    {
        var git = new GitCli();
        string baseHead;
        try
        {
            baseHead = await git.ResolveAsync(context.RepoDir, $"origin/{context.PullRequest.BaseRef}", cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException)
        {
            baseHead = await git.ResolveAsync(context.RepoDir, context.PullRequest.BaseRef, cancellationToken).ConfigureAwait(false);
        }

        return await git.MergeBaseAsync(context.RepoDir, baseHead, context.PullRequest.HeadSha, cancellationToken).ConfigureAwait(false) == baseHead;
    }
}
