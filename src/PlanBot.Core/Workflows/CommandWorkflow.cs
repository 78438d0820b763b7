using PlanBot.Core.Commands;
using PlanBot.Core.Comments;
using PlanBot.Core.Runs;
using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;

namespace PlanBot.Core.Workflows;

/// <summary>
/// A <c>/planbot</c> comment: 👀 when taken, then the command, then 👍 or 👎. Unknown commands and
/// flags get the usage, never silence. Project names and dirs are checked against the discovered
/// projects by the plan engine before anything runs.
/// </summary>
/// <param name="merges">Applies a merged PR's held-back projects after a new approval (the merge workflow for its merge commit).</param>
/// <param name="apply">Applies a PR's plan before the merge (apply.mode: comment).</param>
/// <param name="checkout">Where the default branch's head is known, and the checkout's projects are discovered.</param>
/// <param name="git">Whether the PR's head contains its base branch's head.</param>
/// <param name="mergeRun">
/// The configuration and merge workflow of a merged PR's apply, from the default branch's checkout at
/// the merge commit (its <c>planbot.yaml</c>, as a push's apply loads it); null: the PR run's own (tests).
/// </param>
public sealed class CommandWorkflow(IVcs vcs, PullRequestWorkflow pullRequests, MergeWorkflow merges, ApplyWorkflow apply, ILockStore locks, IApprovalStore approvals, IRepoCheckout checkout, IGit git,
    IProgress<string>? progress = null, Func<string, (PlanBotConfig Config, MergeWorkflow Merges)>? mergeRun = null)
{
    public async Task<PullRequestOutcome?> RunAsync(PullRequestContext context, IssueComment comment, PlanBotConfig config, CommentOptions options, CancellationToken cancellationToken)
    {
        if (comment.Author.EndsWith("[bot]", StringComparison.OrdinalIgnoreCase) || comment.Author.Length == 0)
        {
            progress?.Report($"#{context.PullRequest.Number}: a comment by a bot account (@{comment.Author}): ignored");
            return null;
        }

        await vcs.AddReactionAsync(context.Repo, comment.Id, "eyes", cancellationToken).ConfigureAwait(false);
        var command = SlashCommand.Parse(comment.Body);
        progress?.Report($"#{context.PullRequest.Number}: @{comment.Author} said {(command.Verb?.ToString().ToLowerInvariant() ?? command.Error)}");
        PullRequestOutcome? outcome = null;
        bool ok;
        if (await RefusalAsync(context, comment, command, config, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            // a refused command changes nothing: no plan, no lock released, no apply; the reply names the role it needs
            await ReplyAsync(context, $"@{comment.Author} {refusal}", cancellationToken).ConfigureAwait(false);
            await vcs.AddReactionAsync(context.Repo, comment.Id, "-1", cancellationToken).ConfigureAwait(false);
            return null;
        }

        switch (command.Verb)
        {
            case null:
                await ReplyAsync(context, $"@{comment.Author} {command.Error}.\n\n{SlashCommand.Usage}", cancellationToken).ConfigureAwait(false);
                ok = false;
                break;
            case CommandVerb.Help:
                await ReplyAsync(context, SlashCommand.Usage, cancellationToken).ConfigureAwait(false);
                ok = true;
                break;
            case CommandVerb.Plan:
                try
                {
                    outcome = await pullRequests.RunAsync(context with { Selection = ProjectSelection.Of(command.Projects, command.Dirs), ForkPlanRequestedBy = context.PullRequest.FromFork ? comment.Author : null }, config, options, cancellationToken).ConfigureAwait(false);
                    ok = outcome.Report is { AnyFailed: false };
                }
                catch (UsageException e)
                {
                    await ReplyAsync(context, $"@{comment.Author} {UserText.Inline(e.Message)}", cancellationToken).ConfigureAwait(false);
                    ok = false;
                }

                break;
            case CommandVerb.Unlock:
                ok = await UnlockAsync(context, comment, command, config, cancellationToken).ConfigureAwait(false);
                break;
            case CommandVerb.Approve or CommandVerb.Unapprove:
                (ok, outcome) = await ApproveAsync(context, comment, command, config, options, cancellationToken).ConfigureAwait(false);
                break;
            case CommandVerb.Apply when config.ApplyMode == ApplyMode.OnMerge && context.PullRequest.Merged && command.Projects.Count + command.Dirs.Count > 0:
                // what the merge left waiting is applied together, in dependency order: a selection would apply part of it
                await ReplyAsync(context, $"@{comment.Author} on a merged pull request `/planbot apply` applies everything its merge left waiting, in dependency order; `-p`/`-d` are for `apply.mode: comment`. Comment `/planbot apply` without them.", cancellationToken).ConfigureAwait(false);
                ok = false;
                break;
            case CommandVerb.Apply when config.ApplyMode == ApplyMode.OnMerge && context.PullRequest.Merged:
                ok = await ApplyWaitingAsync(context, comment, config, cancellationToken).ConfigureAwait(false);
                break;
            case CommandVerb.Apply when config.ApplyMode == ApplyMode.Comment:
                (ok, outcome) = await ApplyAsync(context, comment, command, config, options, cancellationToken).ConfigureAwait(false);
                break;
            case CommandVerb.Apply:
                await ReplyAsync(context, $"@{comment.Author} this repository applies after the merge (`apply.mode: on_merge`): merge the pull request once the gate is green. `/planbot apply` is for `apply.mode: comment`.", cancellationToken).ConfigureAwait(false);
                ok = false;
                break;
            default:
                throw new InvalidOperationException($"/planbot {command.Verb}: a verb the parser accepts but this switch does not handle");
        }

        await vcs.AddReactionAsync(context.Repo, comment.Id, ok ? "+1" : "-1", cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>
    /// Why <paramref name="comment"/>'s author may not run the command, or null: plan and unlock need
    /// <c>commands.&lt;verb&gt;.min_permission</c> (default write), apply the approver rules unless
    /// <c>commands.apply.min_permission</c> is set, and planning a fork needs the approver rules too.
    /// Approve is checked by the approver rules itself; help needs nothing.
    /// </summary>
    private async Task<string?> RefusalAsync(PullRequestContext context, IssueComment comment, SlashCommand command, PlanBotConfig config, CancellationToken cancellationToken)
    {
        var verb = command.Verb?.ToString().ToLowerInvariant();
        var pr = context.PullRequest;
        string? min = command.Verb switch
        {
            CommandVerb.Plan => config.Commands.Plan,
            CommandVerb.Unlock => config.Commands.Unlock,
            CommandVerb.Apply => config.Commands.Apply,
            _ => null,
        };
        if (min is not null)
        {
            var (allowed, role) = await Policy.ApproverCheck.HasRoleAsync(vcs, context.Repo, comment.Author, min, cancellationToken).ConfigureAwait(false);
            if (!allowed)
            {
                return $"`/planbot {verb}` needs at least the `{min}` role on {context.Repo} (`commands.{verb}.min_permission`); yours is `{role}`. Nothing was done.";
            }
        }

        var approverOnly = (command.Verb == CommandVerb.Apply && config.Commands.Apply is null) || (command.Verb == CommandVerb.Plan && pr.FromFork);
        if (approverOnly)
        {
            var settings = command.Verb == CommandVerb.Plan ? config.Approval with { AllowSelfApproval = false } : config.Approval;
            var verdict = await new Policy.ApproverCheck(vcs, settings).CheckAsync(context.Repo, comment.Author, pr.Author, cancellationToken).ConfigureAwait(false);
            if (!verdict.Allowed)
            {
                var what = command.Verb == CommandVerb.Plan ? "planning a pull request from a fork" : "`/planbot apply`";
                return $"{what} needs the approver role (`approval.approvers`: users, teams, or at least `{config.Approval.MinPermission}`): {verdict.Why}. Nothing was done.";
            }
        }

        return null;
    }

    /// <summary>
    /// Records (or withdraws) an approval of the plans shown for the current head, bound to their
    /// fingerprints (in the lock records on strict backends, and in the comment's metadata), then
    /// plans again so the table, the gate and the check runs reflect it.
    /// </summary>
    private async Task<(bool Ok, PullRequestOutcome? Outcome)> ApproveAsync(PullRequestContext context, IssueComment comment, SlashCommand command, PlanBotConfig config, CommentOptions options, CancellationToken cancellationToken)
    {
        var pr = context.PullRequest;
        var approve = command.Verb == CommandVerb.Approve;
        if (approve)
        {
            var verdict = await new Policy.ApproverCheck(vcs, config.Approval).CheckAsync(context.Repo, comment.Author, pr.Author, cancellationToken).ConfigureAwait(false);
            if (!verdict.Allowed)
            {
                await ReplyAsync(context, $"@{comment.Author} your approval does not count: {verdict.Why}.", cancellationToken).ConfigureAwait(false);
                return (false, null);
            }
        }

        var comments = await vcs.ListCommentsAsync(context.Repo, pr.Number, cancellationToken).ConfigureAwait(false);
        var first = PlanCommentWriter.FirstPart(comments);
        var meta = first is null ? null : PlanCommentMeta.Read(first.Body);
        var records = new Policy.ApprovalRecords(approvals);
        var before = await records.ReadAsync(context.Repo, pr.Number, meta, cancellationToken).ConfigureAwait(false);
        var plan = before.Plan;
        var mergedPlan = pr.Merged && plan is not null && plan.Head == pr.MergeCommitSha;
        if (first is null || plan is null || (plan.Head != pr.HeadSha && !mergedPlan))
        {
            await ReplyAsync(context, $"@{comment.Author} PlanBot has not posted the plan of the current head `{Naming.ShortSha(pr.HeadSha)}` yet; approve once it is there.", cancellationToken).ConfigureAwait(false);
            return (false, null);
        }

        var unknown = command.Projects.Where(p => !plan.Fingerprints.ContainsKey(p)).ToArray();
        if (unknown.Length > 0)
        {
            await ReplyAsync(context, $"@{comment.Author} not in this plan: {string.Join(", ", unknown.Select(u => UserText.Code(u)))}; its projects are {string.Join(", ", plan.Fingerprints.Keys.Select(k => $"`{k}`"))}.", cancellationToken).ConfigureAwait(false);
            return (false, null);
        }

        var entries = before.Entries.ToList();
        if (approve)
        {
            var targets = command.Projects.Count > 0 ? [.. command.Projects] : plan.Required;
            if (targets.Length == 0 && !mergedPlan)
            {
                await ReplyAsync(context, $"@{comment.Author} nothing in this plan needs approval.", cancellationToken).ConfigureAwait(false);
                return (true, null);
            }

            // on a merged PR whose waiting plans need no approval, an approval applies them as `/planbot apply` does
            if (targets.Length > 0)
            {
                entries.Add(new Policy.ApprovalEntry(comment.Id, comment.Author, plan.Head, targets.ToDictionary(t => t, t => plan.Fingerprints[t], StringComparer.Ordinal)));
            }
        }
        else
        {
            var mine = entries.Where(e => string.Equals(e.User, comment.Author, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (mine.Length == 0)
            {
                await ReplyAsync(context, $"@{comment.Author} you have no approval on this plan to withdraw.", cancellationToken).ConfigureAwait(false);
                return (true, null);
            }

            entries = [.. entries.Except(mine), .. mine
                .Select(e => e with { Fingerprints = new(e.Fingerprints.Where(kv => command.Projects.Count > 0 && !command.Projects.Contains(kv.Key)), StringComparer.Ordinal) })
                .Where(e => e.Fingerprints.Count > 0)];
        }

        await records.SaveAsync(new LockOwner(context.Repo, pr.Number, plan.Head, comment.Author, context.RunId), before, before with { Entries = entries }, [], cancellationToken).ConfigureAwait(false);
        await vcs.UpdateCommentAsync(context.Repo, first.Id, PlanCommentMeta.With(first.Body, Policy.ApprovalLedger.WithEntries(meta, entries)), cancellationToken).ConfigureAwait(false);
        if (mergedPlan)
        {
            if (!approve)
            {
                return (true, null);
            }

            progress?.Report($"#{pr.Number}: approval by @{comment.Author} of the merged plan; applying what was held back");
            var applied = await ApplyMergedAsync(context, plan.Head, config, cancellationToken).ConfigureAwait(false);
            return (applied is not null && applied.All(r => r.Status is not (ApplyStatus.Failed or ApplyStatus.HeldBack)), null);
        }

        progress?.Report($"#{pr.Number}: {(approve ? "approval by" : "approval withdrawn by")} @{comment.Author}; planning again to update the gate");
        var outcome = await pullRequests.RunAsync(context, config, options, cancellationToken).ConfigureAwait(false);
        return (outcome.Report is { AnyFailed: false }, outcome);
    }

    /// <summary>
    /// apply.mode: comment — applies before the merge, only for projects whose gate is green (planned,
    /// and approved when approval is required) on a PR that is up to date with its base, from a fresh
    /// plan whose fingerprints the approvals were verified against.
    /// </summary>
    private async Task<(bool Ok, PullRequestOutcome? Outcome)> ApplyAsync(PullRequestContext context, IssueComment comment, SlashCommand command, PlanBotConfig config, CommentOptions options,
        CancellationToken cancellationToken)
    {
        var pr = context.PullRequest;
        if (pr.State != "open" || pr.FromFork)
        {
            await ReplyAsync(context, $"@{comment.Author} PlanBot applies only open pull requests from this repository.", cancellationToken).ConfigureAwait(false);
            return (false, null);
        }

        if (!await UpToDateAsync(context, cancellationToken).ConfigureAwait(false))
        {
            await ReplyAsync(context, $"@{comment.Author} this pull request is behind `{pr.BaseRef}`: merge or rebase it first (then PlanBot plans again), and `/planbot apply` once the gate is green.", cancellationToken).ConfigureAwait(false);
            return (false, null);
        }

        var outcome = await pullRequests.RunAsync(context with { Selection = ProjectSelection.Of(command.Projects) }, config, options, cancellationToken).ConfigureAwait(false);
        if (outcome.Report is not { } report)
        {
            return (false, outcome);
        }

        var targets = report.Projects.Where(p => p.Plan?.HasChanges == true).ToArray();
        var blocked = targets.Where(p => !p.Succeeded || (p.Approval.Required && p.ApprovedBy.Count == 0)).Select(p => p.Project.Name).ToArray();
        if (blocked.Length > 0 || report.AnyFailed)
        {
            await ReplyAsync(context, $"@{comment.Author} not applied: the gate is not green for {string.Join(", ", blocked.DefaultIfEmpty("a project that could not be planned").Select(b => $"`{b}`"))}. Approve with `/planbot approve` first.", cancellationToken).ConfigureAwait(false);
            return (false, outcome);
        }

        var owner = new LockOwner(context.Repo, pr.Number, pr.HeadSha, pr.Author, context.RunId);
        var expected = targets.ToDictionary(p => p.Project.Name, p => (string?)p.Plan!.Fingerprint, StringComparer.Ordinal);
        var results = await apply.RunAsync(report with { Projects = targets }, context.RepoDir, expected, config.Parallelism, cancellationToken, locks, owner).ConfigureAwait(false);
        await vcs.CreateCommentAsync(context.Repo, pr.Number, ApplyMarkdown.Render($"PlanBot apply of `{Naming.ShortSha(pr.HeadSha)}` (#{pr.Number}, before the merge, asked by @{comment.Author})", results, []), cancellationToken).ConfigureAwait(false);
        return (results.All(r => r.Succeeded), outcome);
    }

    /// <summary>
    /// Releases the PR's project locks: all of them, or those of the projects named with -p (by
    /// project name, or by dir / dir@workspace for a lock whose project is no longer configured)
    /// and the dirs given with -d. A name that is neither gets the known projects in reply.
    /// </summary>
    private async Task<bool> UnlockAsync(PullRequestContext context, IssueComment comment, SlashCommand command, PlanBotConfig config, CancellationToken cancellationToken)
    {
        var pr = context.PullRequest.Number;
        var known = Discovery.ProjectDiscovery.Discover(checkout.TreeOf(context.RepoDir), config).Projects;
        var mine = (await locks.ListAsync(context.Repo, cancellationToken).ConfigureAwait(false))
            .Where(l => l.Key.Kind == LockKind.Project && l.Owner.PullRequest == pr)
            .ToArray();
        bool Named(LockRecord l, string name) =>
            name == l.Key.Dir || name == $"{l.Key.Dir}@{l.Key.Workspace}" || known.Any(p => p.Name == name && p.Dir == l.Key.Dir && p.Workspace == l.Key.Workspace);
        var unknown = command.Projects.Where(name => !known.Any(p => p.Name == name) && !mine.Any(l => Named(l, name))).ToArray();
        if (unknown.Length > 0)
        {
            await ReplyAsync(context, $"@{comment.Author} not a project here: {string.Join(", ", unknown.Select(u => UserText.Code(u)))}. Projects: {string.Join(", ", known.Select(p => $"`{p.Name}`").DefaultIfEmpty("none found"))}.", cancellationToken).ConfigureAwait(false);
            return false;
        }

        var held = mine
            .Where(l => command.Dirs.Count == 0 || command.Dirs.Contains(l.Key.Dir))
            .Where(l => command.Projects.Count == 0 || command.Projects.Any(p => Named(l, p)))
            .ToArray();
        foreach (var record in held)
        {
            await locks.ReleaseAsync(record.Key, record.Owner, cancellationToken).ConfigureAwait(false);
            progress?.Report($"released {record.Key.Id} held by #{pr} (@{record.Owner.User}) on /planbot unlock by @{comment.Author}");
        }

        await ReplyAsync(context, held.Length == 0
            ? $"@{comment.Author} this pull request holds no project locks{(command.Projects.Count + command.Dirs.Count > 0 ? " for those projects" : "")}."
            : $"@{comment.Author} released {string.Join(", ", held.Select(l => $"`{l.Key.Dir}`"))}. Other pull requests plan them on their next push or `/planbot plan`; this one takes them again on its next plan." +
              (held.Any(l => Policy.ApprovalRecords.ApprovedBy(l.Approvals).Count > 0) ? " The approvals kept with those locks went with them: approve again after the next plan." : ""), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// <c>/planbot apply</c> on a merged PR (<c>apply.mode: on_merge</c>): applies what its merge left
    /// waiting (dependents planned against the new outputs, held-back projects once approved) while the
    /// merge commit is the default branch's head. The caller's role was checked as for every apply.
    /// </summary>
    private async Task<bool> ApplyWaitingAsync(PullRequestContext context, IssueComment comment, PlanBotConfig config, CancellationToken cancellationToken)
    {
        var pr = context.PullRequest;
        var first = PlanCommentWriter.FirstPart(await vcs.ListCommentsAsync(context.Repo, pr.Number, cancellationToken).ConfigureAwait(false));
        var meta = first is null ? null : PlanCommentMeta.Read(first.Body);
        var plan = (await new Policy.ApprovalRecords(approvals).ReadAsync(context.Repo, pr.Number, meta, cancellationToken).ConfigureAwait(false)).Plan;
        if (plan is null || pr.MergeCommitSha is null || plan.Head != pr.MergeCommitSha || plan.Fingerprints.Count == 0)
        {
            await ReplyAsync(context, $"@{comment.Author} nothing of this pull request's merge waits to be applied: its merge applied everything it planned (see PlanBot's apply comment). Nothing was done.", cancellationToken).ConfigureAwait(false);
            return false;
        }

        progress?.Report($"#{pr.Number}: /planbot apply by @{comment.Author} on the merged PR; applying what its merge left waiting");
        var applied = await ApplyMergedAsync(context, plan.Head, config, cancellationToken, comment.Author).ConfigureAwait(false);
        return applied is not null && applied.All(r => r.Status is not (ApplyStatus.Failed or ApplyStatus.HeldBack));
    }

    /// <summary>
    /// Applies what a merged PR's merge left waiting, as a push's apply would: in the default branch's
    /// own checkout at the merge commit (never the PR head's tree), with that commit's configuration,
    /// and only while the merge is the default branch's head: checked before anything runs and again
    /// right before each project's apply (<see cref="MergeRun.MovedOn"/>), because an older merge
    /// applied after a newer one would undo what came after it. Hosts run it on the repository's line,
    /// with the pushes' applies (the service's lease key, the Action's concurrency group).
    /// </summary>
    private async Task<IReadOnlyList<ApplyResult>?> ApplyMergedAsync(PullRequestContext context, string sha, PlanBotConfig config, CancellationToken cancellationToken, string? askedBy = null)
    {
        var who = askedBy is null ? "" : $"@{askedBy} ";
        var cloneUrl = context.PullRequest.CloneUrl ?? context.CloneUrl;
        var tree = await checkout.DefaultBranchAsync(context.Repo, sha, cloneUrl, cancellationToken).ConfigureAwait(false);
        await using (tree.ConfigureAwait(false))
        {
            Task<string?> MovedOnAsync(CancellationToken ct) => MergeMovedOnAsync(context, tree.Root, sha, ct);
            if (await MovedOnAsync(cancellationToken).ConfigureAwait(false) is { } moved)
            {
                // a plain reply, not an apply comment: the catch-up of later pushes reads apply comments as "this merge was applied"
                await ReplyAsync(context, $"{who}not applied: {moved}, and PlanBot applies only the default branch's head (applying an older merge would undo what came after it). Nothing was done; the projects that wait are planned and applied again by the next merge that changes them or their upstream.", cancellationToken).ConfigureAwait(false);
                return null;
            }

            var checkedOut = await git.ResolveAsync(tree.Root, "HEAD", cancellationToken).ConfigureAwait(false);
            if (checkedOut != sha)
            {
                await ReplyAsync(context, $"{who}not applied: this run's checkout is `{Naming.ShortSha(checkedOut)}`, not the merge `{Naming.ShortSha(sha)}`; a merged pull request's apply runs in the default branch's checkout (in GitHub Actions: the `apply-merged` job of action/commands.yml). Nothing was done.", cancellationToken).ConfigureAwait(false);
                return null;
            }

            var (mergeConfig, mergeWorkflow) = mergeRun?.Invoke(tree.Root) ?? (config, merges);
            return await mergeWorkflow.RunAsync(context with { RepoDir = tree.Root }, sha, mergeConfig, cancellationToken, MovedOnAsync).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Why <paramref name="sha"/> is not the default branch's head now, or null: the head as the host
    /// knows it (the service asks the remote; the Action's GITHUB_SHA) and as fetched into the checkout
    /// (<c>refs/remotes/origin/DEFAULT</c>, else the local branch, resolved by full ref name).
    /// </summary>
    private async Task<string?> MergeMovedOnAsync(PullRequestContext context, string treeRoot, string sha, CancellationToken cancellationToken)
    {
        var head = await checkout.DefaultBranchHeadAsync(context.Repo, context.PullRequest.CloneUrl ?? context.CloneUrl, cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return "PlanBot cannot tell the default branch's head here";
        }

        if (head == sha && (context.PullRequest.DefaultBranch ?? context.PullRequest.BaseRef) is { Length: > 0 } branch)
        {
            head = await TrustedBase.BranchHeadAsync(git, treeRoot, branch, cancellationToken).ConfigureAwait(false) ?? head;
        }

        return head == sha ? null : $"the default branch has moved on to `{Naming.ShortSha(head)}` since the merge `{Naming.ShortSha(sha)}`";
    }

    /// <summary>
    /// The PR's head contains its base branch's head: <c>refs/remotes/origin/BASE</c> in the checkout,
    /// else <c>refs/heads/BASE</c>, spelled out in full as <see cref="TrustedBase"/> resolves them (the
    /// short <c>origin/BASE</c> resolves a tag of that name first: a tag pushed at an old commit would
    /// make a stale PR look up to date).
    /// </summary>
    /// <exception cref="UsageException">The base branch is not in the checkout.</exception>
    private async Task<bool> UpToDateAsync(PullRequestContext context, CancellationToken cancellationToken)
    {
        var pr = context.PullRequest;
        var baseHead = await TrustedBase.BranchHeadAsync(git, context.RepoDir, pr.BaseRef, cancellationToken).ConfigureAwait(false)
            ?? throw new UsageException($"the base branch {Config.AllowedRepositories.Printable(pr.BaseRef)} is not in the checkout (neither refs/remotes/origin/{Config.AllowedRepositories.Printable(pr.BaseRef)} nor a local branch): fetch it (actions/checkout with fetch-depth: 0) so PlanBot can tell whether the pull request is up to date");
        return await git.MergeBaseAsync(context.RepoDir, baseHead, pr.HeadSha, cancellationToken).ConfigureAwait(false) == baseHead;
    }

    private Task ReplyAsync(PullRequestContext context, string text, CancellationToken cancellationToken) =>
        vcs.CreateCommentAsync(context.Repo, context.PullRequest.Number, text, cancellationToken);
}
