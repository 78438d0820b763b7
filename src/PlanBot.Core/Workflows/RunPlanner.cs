using PlanBot.Core.Runs;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Common;

namespace PlanBot.Core.Workflows;

/// <summary>What to plan: a change between two refs of a git checkout.</summary>
public sealed record PlanTarget
{
    /// <summary>The git checkout holding both commits.</summary>
    public required string RepoDir { get; init; }
    public required string BaseRef { get; init; }
    public required string HeadRef { get; init; }
    public ProjectSelection Selection { get; init; } = ProjectSelection.Affected;
    /// <summary>The PR and run planning; with a lock store, project and run locks are taken for it. Null: no locking.</summary>
    public LockOwner? Owner { get; init; }
    /// <summary>The changed files when the code host listed them; null: git diff from the merge base.</summary>
    public IReadOnlyList<ChangedFile>? ChangedFiles { get; init; }
    /// <summary>False for drift checks, which take run locks only.</summary>
    public bool TakeProjectLocks { get; init; } = true;
    /// <summary>A fanned-out plan's part; null: plan every affected project.</summary>
    public FanOutTarget? FanOut { get; init; }
    /// <summary>The head's Terraform files read ahead; used only when the plan's tree is the one it read.</summary>
    public Discovery.TreeReadAhead? ReadAhead { get; init; }
}

/// <summary>Plans a change; the workflows above the plan engine depend on this, not on a checkout.</summary>
public interface IPlanRunner
{
    /// <exception cref="UsageException">A ref that does not resolve, or a -p / -d that is not a project.</exception>
    Task<RunReport> PlanAsync(PlanTarget target, PlanBotConfig config, ILockStore? locks, CancellationToken cancellationToken);
}

/// <summary>
/// Resolves the refs, gets a tree at the head (<see cref="IRepoCheckout.AtAsync"/>: in place when it
/// is checked out, else a temporary worktree) and runs the plan engine there.
/// </summary>
/// <param name="dataDir">Plan files go to dataDir/runs/HEAD[-RUN].</param>
public sealed class RunPlanner(IGit git, IRepoCheckout checkout, PlanWorkflow engine, string dataDir) : IPlanRunner
{
    public async Task<RunReport> PlanAsync(PlanTarget target, PlanBotConfig config, ILockStore? locks, CancellationToken cancellationToken)
    {
        var repo = Path.GetFullPath(target.RepoDir);
        if (!Directory.Exists(repo))
        {
            throw new UsageException($"--repo {target.RepoDir}: no such directory");
        }

        // both asked at once (issue 19); the head's error is told first, as when they were asked in turn
        var head = git.ResolveAsync(repo, target.HeadRef, cancellationToken);
        var @base = git.ResolveAsync(repo, target.BaseRef, cancellationToken);
        string headSha;
        try
        {
            headSha = await head.ConfigureAwait(false);
        }
        catch
        {
            await Task.WhenAny(@base).ConfigureAwait(false);
            _ = @base.Exception;
            throw;
        }

        string baseSha;
        try
        {
            baseSha = await @base.ConfigureAwait(false);
        }
        catch (UsageException) when (target.BaseRef == "origin/HEAD")
        {
            throw new UsageException("origin/HEAD does not exist in this checkout: pass the branch the change is compared with, e.g. --base main");
        }

        var tree = await checkout.AtAsync(repo, headSha, cancellationToken).ConfigureAwait(false);
        await using (tree.ConfigureAwait(false))
        {
            var request = new PlanRequest
            {
                Tree = tree.Tree,
                RepoDir = repo,
                BaseSha = baseSha,
                HeadSha = headSha,
                Config = config,
                Selection = target.Selection,
                ArtifactsDir = ArtifactsDir(dataDir, headSha, target.Owner?.RunId),
                Owner = target.Owner,
                Locks = locks,
                ChangedFiles = target.ChangedFiles,
                TakeProjectLocks = target.TakeProjectLocks,
                FanOut = target.FanOut,
                ReadAhead = target.ReadAhead,
            };
            return await engine.RunAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Where a run keeps its plan files: per head, and per run when there is one, so two runs of one
    /// commit (the apply of a merge and a drift check of the same head) never share a plan file.
    /// </summary>
    public static string ArtifactsDir(string dataDir, string headSha, string? runId) =>
        Path.Combine(dataDir, "runs", runId is null ? headSha[..12] : $"{headSha[..12]}-{RunDirSuffix(runId)}");

    /// <summary>The file-system-safe form of a run id, as <see cref="ArtifactsDir"/> ends with it.</summary>
    public static string RunDirSuffix(string runId) => PlanWorkflow.SafeName(runId);
}
