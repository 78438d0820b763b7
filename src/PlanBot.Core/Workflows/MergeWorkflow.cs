using PlanBot.Core.Common;
using System.Text;
using PlanBot.Core.Config;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Runs;
using PlanBot.Core.Comments;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The apply gate on a push to the default branch (<c>apply.mode: on_merge</c>): finds the merged PR
/// (<c>commits/{sha}/pulls</c>), verifies its approvals as on every run, re-plans the merged commit for
/// the PR's projects (taking their run locks), applies in dependency order exactly the projects whose
/// plan matches what was approved (or planned, when no approval was needed), comments the result on
/// the PR, and releases the project locks of what was applied. Never from a fork.
/// </summary>
public sealed class MergeWorkflow(IVcs vcs, IPlanRunner planner, ApplyWorkflow apply, ILockStore locks, IApprovalStore approvals, TimeProvider time, IProgress<string>? progress = null)
{
    /// <summary>The marker of PlanBot's apply comments (<see cref="ApplyMarkdown.Marker"/>).</summary>
    public const string Marker = ApplyMarkdown.Marker;

    public async Task<IReadOnlyList<ApplyResult>?> RunAsync(PullRequestContext context, string sha, PlanBotConfig config, CancellationToken cancellationToken)
    {
        if (config.ApplyMode != ApplyMode.OnMerge)
        {
            progress?.Report("apply.mode is comment: nothing is applied on merge");
            return null;
        }

        var pr = (await vcs.PullRequestsForCommitAsync(context.Repo, sha, cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Merged);
        if (pr is null)
        {
            progress?.Report($"{Naming.ShortSha(sha)} is not the merge of a pull request: nothing to apply");
            return null;
        }

        var owner = new LockOwner(context.Repo, pr.Number, sha, pr.Author, context.RunId);
        if (pr.FromFork)
        {
            await vcs.CreateCommentAsync(context.Repo, pr.Number, $"{Marker}\nPlanBot never applies changes from a fork.", cancellationToken).ConfigureAwait(false);
            await ReleaseAsync(owner, new HashSet<(string, string)>(), cancellationToken).ConfigureAwait(false); // planned with plan_forks: nothing will apply it
            return [];
        }

        var comments = await vcs.ListCommentsAsync(context.Repo, pr.Number, cancellationToken).ConfigureAwait(false);
        var first = PlanCommentWriter.FirstPart(comments);
        var meta = first is null ? null : PlanCommentMeta.Read(first.Body);
        var records = new ApprovalRecords(approvals);
        var state = await records.ReadAsync(context.Repo, pr.Number, meta, cancellationToken).ConfigureAwait(false);
        if (state.Plan is not { } planned || planned.Fingerprints.Keys.All(k => k == PolicyApproval.Item)) // a policy-only PR has nothing to apply
        {
            progress?.Report($"#{pr.Number} has no PlanBot plan: nothing to apply");
            await ReleaseAsync(owner, new HashSet<(string, string)>(), cancellationToken).ConfigureAwait(false); // e.g. every project failed to plan: nothing waits for this merge
            return null;
        }

        var entries = state.Entries.Where(e => e.Head == planned.Head).ToArray();
        var (approvers, notes) = await ApprovalLedger.VerifyAsync(entries, comments, planned, new ApproverCheck(vcs, config.Approval), context.Repo, pr.Author, cancellationToken).ConfigureAwait(false);
        var target = new PlanTarget { RepoDir = context.RepoDir, BaseRef = sha, HeadRef = sha, Selection = ProjectSelection.Of([.. planned.Fingerprints.Keys.Where(k => k != PolicyApproval.Item).Order(StringComparer.Ordinal)]), Owner = owner, ChangedFiles = [] };
        RunReport replan;
        try
        {
            replan = await planner.PlanAsync(target, config, locks, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            await vcs.CreateCommentAsync(context.Repo, pr.Number, $"{Marker}\n### PlanBot did not apply the merge `{sha[..7]}`\n\n{e.Message}\n", cancellationToken).ConfigureAwait(false);
            return [];
        }

        // Approval is needed where the PR's plan needed it or the policy says so of the re-plan: the recorded list alone could have been edited.
        var requiredNow = replan.Projects.Where(p => p.Approval.Required).Select(p => p.Project.Name).ToHashSet(StringComparer.Ordinal);
        var expected = planned.Fingerprints.ToDictionary(
            kv => kv.Key,
            kv => !(planned.Required.Contains(kv.Key) || requiredNow.Contains(kv.Key)) || (approvers.TryGetValue(kv.Key, out var users) && users.Count >= config.Approval.Required) ? kv.Value : null,
            StringComparer.Ordinal);

        // Posted before terraform runs: if the runner dies mid-apply, the PR still says an apply was under way (and its locks stay held).
        var status = await vcs.CreateCommentAsync(context.Repo, pr.Number, $"{Marker}\n### PlanBot is applying `{Naming.ShortSha(sha)}` (the merge of #{pr.Number}) …\n\nIf this never turns into a result, the run stopped mid-apply: the project locks stay held; check the run's log and the state before `/planbot unlock`.\n", cancellationToken).ConfigureAwait(false);
        var results = await apply.RunAsync(replan, context.RepoDir, expected, config.Parallelism, cancellationToken, locks, owner).ConfigureAwait(false);
        await vcs.UpdateCommentAsync(context.Repo, status.Id, ApplyMarkdown.Merge(sha, pr.Number, results, notes), cancellationToken).ConfigureAwait(false);
        var heldBack = results.Where(r => r.Status == ApplyStatus.HeldBack).Select(r => r.Project).ToArray();
        if (heldBack.Length > 0)
        {
            // A new `/planbot approve` on the merged PR approves the plan of the merged commit, and applies it.
            var mergedPlan = new PlanMeta(sha, time.GetUtcNow().ToUnixTimeMilliseconds(),
                replan.Projects.Where(p => p.Plan is not null && heldBack.Contains(p.Project.Name)).ToDictionary(p => p.Project.Name, p => p.Plan!.Fingerprint, StringComparer.Ordinal), heldBack);
            await records.SaveAsync(owner, state, new ApprovalState(mergedPlan, []), replan.Projects.Select(p => p.Project), cancellationToken).ConfigureAwait(false);
            if (first is not null)
            {
                await vcs.UpdateCommentAsync(context.Repo, first.Id, PlanCommentMeta.With(first.Body, ApprovalLedger.WithEntries(ApprovalLedger.WithPlan(meta, mergedPlan), [])), cancellationToken).ConfigureAwait(false);
            }
        }

        var pending = results.Where(r => r.Status is ApplyStatus.Failed or ApplyStatus.HeldBack or ApplyStatus.Skipped)
            .Select(r => replan.Projects.First(p => p.Project.Name == r.Project).Project)
            .Select(p => (p.Dir, p.Workspace))
            .ToHashSet();
        await ReleaseAsync(owner, pending, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Releases the PR's project locks once its merge is done with them: all but those of the
    /// projects that still need something (failed, held back, skipped), including locks of projects
    /// the PR touched on an earlier head and no longer does.
    /// </summary>
    private async Task ReleaseAsync(LockOwner owner, IReadOnlySet<(string Dir, string Workspace)> pending, CancellationToken cancellationToken)
    {
        foreach (var held in await locks.ListAsync(owner.Repo, cancellationToken).ConfigureAwait(false))
        {
            if (held.Key.Kind == LockKind.Project && held.Owner.PullRequest == owner.PullRequest && !pending.Contains((held.Key.Dir, held.Key.Workspace)) &&
                await locks.ReleaseAsync(held.Key, owner, cancellationToken).ConfigureAwait(false) is LockResult.Released)
            {
                progress?.Report($"{held.Key.Dir} ({held.Key.Workspace}): project lock of #{owner.PullRequest} released after the merge");
            }
        }
    }
}
