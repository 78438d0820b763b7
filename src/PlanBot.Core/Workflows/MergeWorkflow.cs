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
/// (<c>commits/{sha}/pulls</c>), verifies its approvals as on every run, applies layer by layer
/// exactly what was approved (<see cref="MergeApply"/>: the stored plan file when the project's inputs
/// did not change, else a re-plan whose content fingerprint matches; dependents re-planned against
/// the new state), comments the result on the PR, records what waits for a new approval, deletes the
/// PR's stored plans and releases the project locks of what was applied. Never from a fork.
/// </summary>
/// <param name="sources">Stored plans, git, the merged tree and terraform: what the apply reads (<see cref="MergeApply"/>).</param>
public sealed class MergeWorkflow(IVcs vcs, IPlanRunner planner, ApplyWorkflow apply, ILockStore locks, IApprovalStore approvals, TimeProvider time, IProgress<string>? progress = null, MergeSources? sources = null)
{
    /// <summary>The marker of PlanBot's apply comments (<see cref="ApplyMarkdown.Marker"/>).</summary>
    public const string Marker = ApplyMarkdown.Marker;

    /// <summary>How far back a push looks for merges whose apply never ran (a cancelled or lost apply job).</summary>
    public const int CatchUpDepth = 10;

    /// <summary>
    /// The apply of a push to the default branch: first the earlier merges on its first-parent line
    /// whose apply never ran or never finished (GitHub cancels a pending run when a newer one joins its
    /// concurrency group; a job can be cancelled by hand; a replica can die mid-apply), oldest first,
    /// each against its own merge commit; then this one. The walk stops at the first merge whose
    /// result PlanBot wrote. A merge whose result is on its PR is never applied again.
    /// </summary>
    public async Task<IReadOnlyList<ApplyResult>?> ApplyPushAsync(PullRequestContext context, string sha, PlanBotConfig config, CancellationToken cancellationToken)
    {
        if (config.ApplyMode != ApplyMode.OnMerge || sources is null)
        {
            return await RunAsync(context, sha, config, cancellationToken).ConfigureAwait(false);
        }

        var all = new List<ApplyResult>();
        foreach (var earlier in await UnappliedMergesBeforeAsync(context, sha, cancellationToken).ConfigureAwait(false))
        {
            progress?.Report($"{Naming.ShortSha(earlier)}: an earlier merge whose apply never ran: applying it first");
            var tree = await sources.Checkout.AtAsync(context.RepoDir, earlier, cancellationToken).ConfigureAwait(false);
            await using (tree.ConfigureAwait(false))
            {
                // terraform runs in the worktree: its relative local states must be the checkout's
                var unreachable = LocalStateLinks.Link(Discovery.ProjectDiscovery.Discover(sources.Checkout.TreeOf(tree.Root), config), tree.Root, context.RepoDir);
                if (unreachable.Count > 0)
                {
                    await NotCaughtUpAsync(context, earlier, unreachable, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                all.AddRange(await RunAsync(context with { RepoDir = tree.Root }, earlier, config, fromPush: true, cancellationToken).ConfigureAwait(false) ?? []);
            }
        }

        var current = await RunAsync(context, sha, config, fromPush: true, cancellationToken).ConfigureAwait(false);
        return current is null && all.Count == 0 ? null : [.. all, .. current ?? []];
    }

    /// <summary>An earlier merge the catch-up cannot apply from a worktree: said on its PR as its apply comment (so later pushes do not try again).</summary>
    private async Task NotCaughtUpAsync(PullRequestContext context, string earlier, IReadOnlyList<string> unreachable, CancellationToken cancellationToken)
    {
        var pr = (await vcs.PullRequestsForCommitAsync(context.Repo, earlier, cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Merged && !p.FromFork);
        progress?.Report($"{Naming.ShortSha(earlier)}: not applied by the catch-up: {string.Join("; ", unreachable)}");
        if (pr is not null)
        {
            await vcs.CreateCommentAsync(context.Repo, pr.Number, $"{Marker}\n### PlanBot did not apply the merge `{Naming.ShortSha(earlier)}`\n\nIts apply job never ran, and the catch-up of a later push applies an older merge in a worktree of it, which cannot reach these states:\n{string.Join("", unreachable.Select(u => $"- {u}\n"))}\nNothing was applied for this merge; its projects keep their locks. Plan and apply its changes again in a new pull request (or by hand), then `/planbot unlock`.\n", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The merges before <paramref name="sha"/> (first parents) whose PR has a PlanBot plan and no apply comment for them, oldest first.</summary>
    private async Task<IReadOnlyList<string>> UnappliedMergesBeforeAsync(PullRequestContext context, string sha, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        var commit = sha;
        for (var i = 0; i < CatchUpDepth; i++)
        {
            try
            {
                commit = await sources!.Git.ResolveAsync(context.RepoDir, commit + "^1", cancellationToken).ConfigureAwait(false);
            }
            catch (UsageException)
            {
                break; // the root commit, or a shallow checkout's end
            }

            var pr = (await vcs.PullRequestsForCommitAsync(context.Repo, commit, cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Merged && !p.FromFork);
            if (pr is null)
            {
                continue; // a direct push: nothing of PlanBot's to apply
            }

            var comments = await vcs.ListCommentsAsync(context.Repo, pr.Number, cancellationToken).ConfigureAwait(false);
            if (AppliedBefore(comments, commit))
            {
                break; // applied: everything before it was handled by its own run
            }

            // Runs on the default branch take turns (the Action's concurrency group, the service's lease), so an
            // "applying" comment without a result is a run that died mid-apply: resumed here, its state decides.

            if (PlanCommentWriter.FirstPart(comments) is not null)
            {
                found.Add(commit);
            }
        }

        found.Reverse();
        return found;
    }

    /// <summary>Applies the merge <paramref name="sha"/>'s approved plans; also what a new approval on the merged PR applies (held back, dependents).</summary>
    /// <param name="movedOn">Why the merge is no longer the default branch's head (null: it is), asked right before each project's apply: a merged PR's apply stops there.</param>
    public Task<IReadOnlyList<ApplyResult>?> RunAsync(PullRequestContext context, string sha, PlanBotConfig config, CancellationToken cancellationToken, Func<CancellationToken, Task<string?>>? movedOn = null) =>
        RunAsync(context, sha, config, fromPush: false, cancellationToken, movedOn);

    /// <param name="fromPush">The run of a push: once the merge's result is on its PR, a push's run never applies it again.</param>
    private async Task<IReadOnlyList<ApplyResult>?> RunAsync(PullRequestContext context, string sha, PlanBotConfig config, bool fromPush, CancellationToken cancellationToken, Func<CancellationToken, Task<string?>>? movedOn = null)
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
        if (fromPush && AppliedBefore(comments, sha))
        {
            // A second delivery of this push (a replay under a new id, a replica that took over after the first finished):
            // the merge's result is on the PR already, and applying it again could undo what later merges applied.
            progress?.Report($"{Naming.ShortSha(sha)}: the merge of #{pr.Number} was applied by an earlier run (its result is on the PR): nothing is applied twice");
            return null;
        }

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
        var approved = planned.Fingerprints.Keys.Where(k => approvers.TryGetValue(k, out var users) && users.Count >= config.Approval.Required).ToHashSet(StringComparer.Ordinal);
        var merge = new MergeApply(planner, apply, locks, sources ?? throw new InvalidOperationException("MergeWorkflow was built without its MergeSources: the composition root passes them"), progress);

        // Posted before terraform runs: if the runner dies mid-apply, the PR still says an apply was under way (and its locks stay held).
        // A run that died mid-apply left its "applying" comment: this run (a retry, or another replica) takes it over.
        var status = UnderWay(comments, sha) ?? await vcs.CreateCommentAsync(context.Repo, pr.Number, $"{Marker}\n### PlanBot is applying `{Naming.ShortSha(sha)}` (the merge of #{pr.Number}) …\n\nIf this never turns into a result, the run stopped mid-apply: the project locks stay held; check the run's log and the state before `/planbot unlock`.\n", cancellationToken).ConfigureAwait(false);
        MergeOutcome outcome;
        try
        {
            outcome = await merge.RunAsync(new MergeRun { Context = context, PullRequest = pr.Number, Sha = sha, Owner = owner, Config = config, Planned = planned, Approved = approved, MovedOn = movedOn }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConfigException e)
        {
            await vcs.UpdateCommentAsync(context.Repo, status.Id, $"{Marker}\n### PlanBot did not apply the merge `{Naming.ShortSha(sha)}`\n\n{e.Message}\n", cancellationToken).ConfigureAwait(false);
            return [];
        }

        var results = outcome.Results;
        await vcs.UpdateCommentAsync(context.Repo, status.Id, ApplyMarkdown.Merge(sha, pr.Number, results, notes), cancellationToken).ConfigureAwait(false);

        // The PR's plan files are done with (applied, or replaced by the merged commit's plans just below).
        await sources.Plans.DeletePullRequestAsync(context.Repo, pr.Number, cancellationToken).ConfigureAwait(false);
        if (outcome.Waiting.Count > 0)
        {
            // `/planbot apply` or a new `/planbot approve` on the merged PR applies these plans of the merged commit (held back, or dependents).
            var waiting = outcome.Waiting;

            // GitHub's time of the comment showing these plans, as for a PR's plan (issue 13): an approval is timed
            // against it on GitHub's clock, so one in the same second counts, whatever the runner's clock says
            var shown = (await vcs.ListCommentsAsync(context.Repo, pr.Number, cancellationToken).ConfigureAwait(false)).FirstOrDefault(c => c.Id == status.Id) ?? status;

            // what needs an approval: a held-back project, a dependent whose new plan needs one; the rest `/planbot apply` applies
            var mergedPlan = new PlanMeta(sha, time.GetUtcNow().ToUnixTimeMilliseconds(),
                waiting.ToDictionary(p => p.Project.Name, p => p.Plan!.Fingerprint, StringComparer.Ordinal),
                [.. waiting.Where(p => p.Approval.Required || results.Any(r => r.Project == p.Project.Name && r.Status == ApplyStatus.HeldBack)).Select(p => p.Project.Name)],
                shown.UpdatedAt.ToUnixTimeSeconds());
            await PlanFiles.StoreAsync(sources.Plans, context.Repo, pr.Number, new RunReport { Head = sha, Base = sha, Projects = waiting }, progress, cancellationToken).ConfigureAwait(false);
            await records.SaveAsync(owner, state, new ApprovalState(mergedPlan, []), waiting.Select(p => p.Project), cancellationToken).ConfigureAwait(false);
            if (first is not null)
            {
                await vcs.UpdateCommentAsync(context.Repo, first.Id, PlanCommentMeta.With(first.Body, ApprovalLedger.WithEntries(ApprovalLedger.WithPlan(meta, mergedPlan), [])), cancellationToken).ConfigureAwait(false);
            }
        }

        else if (planned.Head == sha)
        {
            // what this merge left waiting is done: nothing is recorded for it any more, so a later `/planbot apply` says so
            var done = new PlanMeta(sha, time.GetUtcNow().ToUnixTimeMilliseconds(), new Dictionary<string, string>(StringComparer.Ordinal), [], planned.PostedAt);
            await records.SaveAsync(owner, state, new ApprovalState(done, []), [], cancellationToken).ConfigureAwait(false);
            if (first is not null)
            {
                await vcs.UpdateCommentAsync(context.Repo, first.Id, PlanCommentMeta.With(first.Body, ApprovalLedger.WithEntries(ApprovalLedger.WithPlan(meta, done), [])), cancellationToken).ConfigureAwait(false);
            }
        }

        var pending = results.Where(r => r.After is null && r.Status is ApplyStatus.Failed or ApplyStatus.HeldBack or ApplyStatus.Skipped)
            .Select(r => outcome.Projects.GetValueOrDefault(r.Project))
            .OfType<Discovery.Project>()
            .Select(p => (p.Dir, p.Workspace))
            .ToHashSet();
        await ReleaseAsync(owner, pending, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>The merge's result comment is on the PR: applied (or refused) by an earlier run.</summary>
    private static bool AppliedBefore(IReadOnlyList<IssueComment> comments, string sha) =>
        comments.Any(c => c.Body.StartsWith(Marker, StringComparison.Ordinal) &&
            (c.Body.Contains($"\n### PlanBot apply of `{Naming.ShortSha(sha)}` (the merge of #", StringComparison.Ordinal) ||
             c.Body.Contains($"\n### PlanBot did not apply the merge `{Naming.ShortSha(sha)}`", StringComparison.Ordinal)));

    /// <summary>The "applying" comment of an earlier run of this merge that never turned into a result.</summary>
    private static IssueComment? UnderWay(IReadOnlyList<IssueComment> comments, string sha) =>
        comments.LastOrDefault(c => c.Body.StartsWith(Marker, StringComparison.Ordinal) && c.Body.Contains($"\n### PlanBot is applying `{Naming.ShortSha(sha)}` ", StringComparison.Ordinal));

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
