using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

/// <summary>What closing a PR (or applying it after the merge) releases: its project locks and its stored plans.</summary>
public sealed record PullRequestCleanup(IReadOnlyList<LockRecord> Released, int PlansDeleted);

/// <summary>
/// Releases every project lock a pull request holds and deletes its plan files, logging each release
/// with its owner. Run locks are left to expire: a run still in progress keeps its lease.
/// </summary>
public sealed class PullRequestClosedWorkflow(ILockStore locks, IPlanStore plans, IProgress<string>? progress = null)
{
    /// <param name="awaitsApply">
    /// Merged into the default branch with <c>apply.mode: on_merge</c>: nothing is released. The apply
    /// of the merge needs the locks (GitHub may deliver the close before the push) and the approvals
    /// kept with them, and releases them itself; held-back and failed projects keep theirs.
    /// </param>
    public async Task<PullRequestCleanup> RunAsync(string repo, int pullRequest, CancellationToken cancellationToken, bool awaitsApply = false)
    {
        if (awaitsApply)
        {
            progress?.Report($"#{pullRequest} was merged: its project locks stay until the apply of the merge releases them");
            return new PullRequestCleanup([], 0);
        }

        var released = new List<LockRecord>();
        foreach (var held in await locks.ListAsync(repo, cancellationToken).ConfigureAwait(false))
        {
            if (held.Key.Kind == LockKind.Project && held.Owner.PullRequest == pullRequest &&
                await locks.ReleaseAsync(held.Key, held.Owner, cancellationToken).ConfigureAwait(false) is LockResult.Released)
            {
                progress?.Report($"released {held.Key.Id} held by #{pullRequest} (@{held.Owner.User}) since {held.Since:u}");
                released.Add(held);
            }
        }

        var deleted = await plans.DeletePullRequestAsync(repo, pullRequest, cancellationToken).ConfigureAwait(false);
        progress?.Report($"#{pullRequest}: {released.Count} project locks released, {deleted} plan files deleted");
        return new PullRequestCleanup(released, deleted);
    }
}
