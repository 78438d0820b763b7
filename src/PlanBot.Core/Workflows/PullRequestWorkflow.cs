using PlanBot.Core.Comments;
using PlanBot.Core.Runs;
using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;

namespace PlanBot.Core.Workflows;

/// <summary>One pull request event to plan, as the Action entry or the service sees it.</summary>
public sealed record PullRequestContext
{
    public required string Repo { get; init; }
    public required PullRequestInfo PullRequest { get; init; }
    /// <summary>A checkout holding both the base and the head commit.</summary>
    public required string RepoDir { get; init; }
    public required string RunId { get; init; }
    public string? RunUrl { get; init; }
    /// <summary>Plan exactly these projects (from `/planbot plan -p/-d`), else the affected ones.</summary>
    public ProjectSelection Selection { get; init; } = ProjectSelection.Affected;
    /// <summary>The repository's clone URL when the event carried one (the service clones from it).</summary>
    public string? CloneUrl { get; init; }
    /// <summary>The approver whose <c>/planbot plan</c> asked for this fork's plan; a fork is never planned on its own events.</summary>
    public string? ForkPlanRequestedBy { get; init; }
    /// <summary>This run's part of a fanned-out plan (docs/deployment.md); null: a single job.</summary>
    public FanOutRun? FanOut { get; init; }
    /// <summary>The PR's changed files, asked of the code host while the configuration was read (<see cref="PullRequestStart"/>); null: the workflow asks when it plans the affected projects.</summary>
    public Task<IReadOnlyList<ChangedFile>?>? ChangedFiles { get; init; }
    /// <summary>The head's Terraform files, being read and parsed while the run started (<see cref="Discovery.TreeReadAhead"/>); null: discovery reads them.</summary>
    public Discovery.TreeReadAhead? ReadAhead { get; init; }
}

public sealed record PullRequestOutcome(RunReport? Report, IReadOnlyList<string> Parts, CommitState Gate, string? NotPlanned);

/// <summary>
/// A PR event end to end: skip drafts and forks unless allowed, plan (project locks taken for the
/// PR), write the comment parts, set <c>planbot/apply-gate</c>, and one check run per project whose
/// output holds that project's full report. Approvals are read from and recorded in
/// <see cref="ApprovalRecords"/> (the lock records on strict backends, the comment on github).
/// </summary>
/// <param name="plans">Where each project's plan file goes for the merge to apply (<c>plans.store</c>); null: not stored.</param>
public sealed class PullRequestWorkflow(IVcs vcs, IPlanRunner planner, ILockStore locks, IApprovalStore approvals, TimeProvider time, IProgress<string>? progress = null, IPlanStore? plans = null)
{
    public const string GateContext = "planbot/apply-gate";

    public async Task<PullRequestOutcome> RunAsync(PullRequestContext context, PlanBotConfig config, CommentOptions options, CancellationToken cancellationToken)
    {
        var pr = context.PullRequest;
        var phase = context.FanOut?.Phase ?? FanOutPhase.Single;
        if (phase != FanOutPhase.Single)
        {
            FanOutPlans.Check(config, plans);
            if (phase != FanOutPhase.Gather && FanOutPlans.NotPlanned(pr, config, context) is { } notPlanned)
            {
                // a draft or a fork: the gather says so on the PR, as a single job would; nothing to fan out
                progress?.Report($"#{pr.Number} is not planned ({notPlanned}): the gather job reports it");
                return new PullRequestOutcome(null, [], CommitState.Pending, notPlanned);
            }
        }

        if (pr.Draft && !config.PullRequests.PlanDrafts)
        {
            progress?.Report($"#{pr.Number} is a draft: not planned (set pull_requests.plan_drafts: true to plan drafts)");
            return new PullRequestOutcome(null, [], CommitState.Pending, "draft");
        }

        if (pr.FromFork && (!config.PullRequests.PlanForks || context.ForkPlanRequestedBy is null))
        {
            // plan_forks is a policy key: it comes from the default branch, never from the fork's own planbot.yaml
            var why = $"{MarkdownComment.Marker}\n### PlanBot did not plan this pull request\n\nIt comes from a fork. Planning runs the PR's Terraform code (providers, external data sources, local-exec) with this repository's cloud credentials, so PlanBot plans a fork only when the default branch's `planbot.yaml` sets `pull_requests.plan_forks: true` and someone with the approver role comments `/planbot plan` after reading the code. A fork's own `planbot.yaml` cannot enable it. A maintainer can also push the branch to this repository to get a plan.\n";
            await PlanCommentWriter.WriteAsync(vcs, context.Repo, pr.Number, [why], cancellationToken).ConfigureAwait(false);
            await vcs.SetStatusAsync(context.Repo, pr.HeadSha, new CommitStatus(CommitState.Failure, GateContext, "not planned: pull requests from forks are not planned", context.RunUrl), cancellationToken).ConfigureAwait(false);
            return new PullRequestOutcome(null, [why], CommitState.Failure, "fork");
        }

        var owner = new LockOwner(context.Repo, pr.Number, pr.HeadSha, pr.Author, context.RunId);
        var files = !context.Selection.IsAffected ? null : await (context.ChangedFiles ?? vcs.GetChangedFilesAsync(context.Repo, pr.Number, cancellationToken)).ConfigureAwait(false);
        if (files is null && context.Selection.IsAffected)
        {
            progress?.Report($"#{pr.Number} changes more files than GitHub lists ({3_000:N0}): using git diff");
        }

        if (phase != FanOutPhase.Gather && Discovery.ChangeDetector.MayAffectAProject(files))
        {
            // the lock backend's reads (github: the other open PRs' locks, a round trip and one more per PR) start now and
            // overlap discovery, so the first project's lock ask finds them done (issue 19). Not for a PR that changes
            // only Markdown: those reads would be spent on a run that plans nothing. A gather takes no project locks.
            locks.Prefetch(owner);
        }

        var (fanOut, storedWarnings) = FanOutPlans.Target(phase, context, plans);
        var target = new PlanTarget { RepoDir = context.RepoDir, BaseRef = pr.BaseSha, HeadRef = pr.HeadSha, Selection = context.Selection, Owner = owner, ChangedFiles = files, FanOut = fanOut, ReadAhead = context.ReadAhead };
        var report = await planner.PlanAsync(target, config, locks, cancellationToken).ConfigureAwait(false);
        if (plans is not null)
        {
            report = await PlanFiles.StoreAsync(plans, context.Repo, pr.Number, report, progress, cancellationToken).ConfigureAwait(false);
        }

        switch (phase)
        {
            case FanOutPhase.Matrix:
                await vcs.SetStatusAsync(context.Repo, pr.HeadSha, new CommitStatus(CommitState.Pending, GateContext, FanOutPlans.PlanningGate(report), context.RunUrl), cancellationToken).ConfigureAwait(false);
                return new PullRequestOutcome(report, [], CommitState.Pending, null);
            case FanOutPhase.Plan:
                await FanOutPlans.StoreResultsAsync(plans!, context, report, cancellationToken).ConfigureAwait(false);
                progress?.Report($"#{pr.Number}: {report.Projects.Count} project result(s) stored for the gather");
                return new PullRequestOutcome(report, [], CommitState.Pending, null);
            case FanOutPhase.Gather:
                report = report with { Warnings = [.. report.Warnings, .. storedWarnings.Distinct().Order(StringComparer.Ordinal)] };
                break;
        }

        var comments = await vcs.ListCommentsAsync(context.Repo, pr.Number, cancellationToken).ConfigureAwait(false); // after planning: the lock backend may have written
        var policyItem = PolicyApproval.Needed(config, report.Projects.Select(p => p.Approval));
        var (approved, meta, firstOfHead, recorded, policyApprovers) = await ApprovalsAsync(context, owner, report, config, comments, policyItem, cancellationToken).ConfigureAwait(false);
        report = approved;
        if (config.PolicyChanges.Count > 0)
        {
            report = report with { Warnings = [$"this pull request changes policy keys of planbot.yaml ({string.Join(", ", config.PolicyChanges.Select(k => $"`{k}`"))}): they take effect after merge; this plan is judged by the default branch's policy, and the change itself needs approval (policy change)"
                + (!policyItem ? "" : policyApprovers.Count >= config.Approval.Required
                    ? $"; **policy change** (`{PolicyApproval.Item}`): approved by {string.Join(", ", policyApprovers.Select(u => "@" + u))}"
                    : $"; **policy change** (`{PolicyApproval.Item}`) needs approval: an approver other than the author comments `/planbot approve` (a push voids it)"), .. report.Warnings] };
        }

        if (config.PolicyReadAt is { } readAt)
        {
            report = report with { Warnings = [readAt, .. report.Warnings] }; // reviewers see which policy judged this plan
        }

        var parts = MarkdownComment.Render(report, options).ToArray();
        parts[0] = PlanCommentMeta.With(parts[0], meta);
        await PlanCommentWriter.WriteAsync(vcs, context.Repo, pr.Number, parts, cancellationToken, comments).ConfigureAwait(false);
        if (firstOfHead)
        {
            await RecordPostedAtAsync(context, owner, recorded, cancellationToken).ConfigureAwait(false);
        }

        // A policy change is judged like a foundational change: with no planned project to carry the approval,
        // the change itself is the item to approve (PolicyApproval), and the gate waits for it.
        var (gate, description) = Gate(report);
        if (policyItem && gate != CommitState.Failure)
        {
            (gate, description) = policyApprovers.Count >= config.Approval.Required
                ? (gate, $"policy change approved by {string.Join(", ", policyApprovers.Select(u => "@" + u))}; {description}")
                : (CommitState.Pending, PolicyOnlyGate);
        }

        await vcs.SetStatusAsync(context.Repo, pr.HeadSha, new CommitStatus(gate, GateContext, description, context.RunUrl), cancellationToken).ConfigureAwait(false);
        foreach (var project in report.Projects)
        {
            await vcs.CreateCheckRunAsync(context.Repo, CheckRunText.For(report, project, options), cancellationToken).ConfigureAwait(false);
        }

        progress?.Report($"#{pr.Number}: {parts.Length} comment part(s), {GateContext} {gate.ToString().ToLowerInvariant()}: {description}");
        return new PullRequestOutcome(report, parts, gate, null);
    }

    /// <summary>
    /// Records this plan (head, when that head was first planned, fingerprints) in the comment's
    /// metadata and applies the approvals that still count to the report; approvals of an older head
    /// are dropped with a note. Returns the report with ApprovedBy set, and the new metadata.
    /// </summary>
    private async Task<(RunReport Report, string Meta, bool FirstOfHead, ApprovalState Recorded, IReadOnlyList<string> PolicyApprovers)> ApprovalsAsync(PullRequestContext context, LockOwner owner, RunReport report,
        PlanBotConfig config, IReadOnlyList<IssueComment> comments, bool policyItem, CancellationToken cancellationToken)
    {
        var pr = context.PullRequest;
        var first = PlanCommentWriter.FirstPart(comments);
        var meta = first is null ? null : PlanCommentMeta.Read(first.Body);
        var records = new ApprovalRecords(approvals);
        if (policyItem && approvals.KeepsApprovals)
        {
            // the policy item's approvals need a record of their own on strict backends (one per PR: it blocks nobody)
            await locks.AcquireAsync(PolicyApproval.Key(context.Repo, pr.Number), owner, config.LocksTtl, cancellationToken).ConfigureAwait(false);
        }

        var before = await records.ReadAsync(context.Repo, pr.Number, meta, cancellationToken).ConfigureAwait(false);
        var previous = before.Plan;
        var plan = new PlanMeta(
            pr.HeadSha,
            previous?.Head == pr.HeadSha ? previous.PlannedAt : time.GetUtcNow().ToUnixTimeMilliseconds(),
            report.Projects.Where(p => p.Plan is not null).ToDictionary(p => p.Project.Name, p => p.Plan!.Fingerprint, StringComparer.Ordinal),
            [.. report.Projects.Where(p => p.Approval.Required).Select(p => p.Project.Name)],
            previous?.Head == pr.HeadSha ? previous.PostedAt : null);
        if (policyItem)
        {
            plan = plan with { Fingerprints = new(plan.Fingerprints) { [PolicyApproval.Item] = PolicyApproval.Fingerprint(config) }, Required = [.. plan.Required, PolicyApproval.Item] };
        }

        if (previous is not null && previous.Head == pr.HeadSha)
        {
            // `/planbot plan -p x` re-plans some projects of the same head: the others keep their recorded plan
            var kept = previous.Fingerprints.Where(kv => !plan.Fingerprints.ContainsKey(kv.Key)).ToArray();
            plan = plan with
            {
                Fingerprints = new(plan.Fingerprints.Concat(kept), StringComparer.Ordinal),
                Required = [.. plan.Required, .. previous.Required.Where(r => kept.Any(k => k.Key == r))],
            };
        }

        var entries = before.Entries;
        var notes = new List<string>();
        var stale = entries.Where(e => e.Head != pr.HeadSha).Select(e => e.Head).Distinct().ToArray();
        if (stale.Length > 0)
        {
            notes.Add($"approvals given on {string.Join(", ", stale.Select(h => $"`{Naming.ShortSha(h)}`"))} are void: the pull request was pushed since; approve the new plan with `/planbot approve`");
        }

        var current = entries.Where(e => e.Head == pr.HeadSha).ToList();
        IReadOnlyList<string> policyApprovers = [];
        if (current.Count > 0)
        {
            var (approvers, ledgerNotes) = await ApprovalLedger.VerifyAsync(current, comments, plan, new Policy.ApproverCheck(vcs, config.Approval), context.Repo, pr.Author, cancellationToken).ConfigureAwait(false);
            notes.AddRange(ledgerNotes);
            if (policyItem && approvers.TryGetValue(PolicyApproval.Item, out var policyUsers))
            {
                // a change of the rules is never approved by the one who proposes it, whatever allow_self_approval says
                policyApprovers = [.. policyUsers.Where(u => !string.Equals(u, pr.Author, StringComparison.OrdinalIgnoreCase))];
                if (policyApprovers.Count < policyUsers.Count)
                {
                    notes.Add($"@{pr.Author} proposed this policy change, so their approval of `{PolicyApproval.Item}` does not count: another approver must approve it");
                }
            }

            report = report with
            {
                Projects = [.. report.Projects.Select(p =>
                {
                    if (!p.Approval.Required || !approvers.TryGetValue(p.Project.Name, out var users))
                    {
                        return p;
                    }

                    if (users.Count < config.Approval.Required)
                    {
                        notes.Add($"`{p.Project.Name}` has {users.Count} of the {config.Approval.Required} approvals it needs ({string.Join(", ", users.Select(u => "@" + u))})");
                        return p;
                    }

                    return p with { ApprovedBy = users };
                })],
            };
        }

        report = report with { Warnings = [.. report.Warnings, .. notes] };
        await records.SaveAsync(owner, before, new ApprovalState(plan, current), report.Projects.Select(p => p.Project), cancellationToken).ConfigureAwait(false);
        return (report, ApprovalLedger.WithEntries(ApprovalLedger.WithPlan(meta, plan), current), previous?.Head != pr.HeadSha, before, policyApprovers);
    }

    /// <summary>
    /// The first time a head's plan is shown (never later: a re-plan after someone wiped the metadata
    /// must not move the time past the approvals already given), records GitHub's time of it (the comment's updated_at
    /// as GitHub lists it after the write) in the metadata: approvals are judged on GitHub's clock
    /// only, never the runner's.
    /// </summary>
    private async Task RecordPostedAtAsync(PullRequestContext context, LockOwner owner, ApprovalState recorded, CancellationToken cancellationToken)
    {
        var written = PlanCommentWriter.FirstPart(await vcs.ListCommentsAsync(context.Repo, context.PullRequest.Number, cancellationToken).ConfigureAwait(false));
        if (written is null)
        {
            return;
        }

        // strict backends: the lock records are the record of the time (the comment's copy below is for the PR's readers)
        await new ApprovalRecords(approvals).RecordPostedAtAsync(owner, recorded, context.PullRequest.HeadSha, written.UpdatedAt.ToUnixTimeSeconds(), cancellationToken).ConfigureAwait(false);
        var meta = PlanCommentMeta.Read(written.Body);
        if (ApprovalLedger.Plan(meta) is not { PostedAt: null } plan || plan.Head != context.PullRequest.HeadSha)
        {
            return;
        }

        var posted = plan with { PostedAt = written.UpdatedAt.ToUnixTimeSeconds() };
        await vcs.UpdateCommentAsync(context.Repo, written.Id, PlanCommentMeta.With(written.Body, ApprovalLedger.WithPlan(meta, posted)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>failure when a project could not be planned; pending while one needs approval; success otherwise.</summary>
    /// <summary>The gate of a PR that changes planbot.yaml policy keys and has no planned project to approve.</summary>
    public const string PolicyOnlyGate = "approval needed for the policy change (planbot.yaml): comment /planbot approve";

    public static (CommitState State, string Description) Gate(RunReport report)
    {
        var notPlanned = report.Projects.Where(p => !p.Succeeded).Select(p => p.Project.Name).ToArray();
        if (notPlanned.Length > 0)
        {
            return (CommitState.Failure, $"not planned: {string.Join(", ", notPlanned)}");
        }

        var waiting = report.Projects.Where(p => p.Approval.Required && p.ApprovedBy.Count == 0).Select(p => p.Project.Name).ToArray();
        var approved = report.Projects.Where(p => p.Approval.Required && p.ApprovedBy.Count > 0).ToArray();
        return waiting.Length > 0 ? (CommitState.Pending, $"approval needed for {string.Join(", ", waiting)}: comment /planbot approve")
            : approved.Length > 0 ? (CommitState.Success, "approved: " + string.Join("; ", approved.Select(p => $"{p.Project.Name} by {string.Join(", ", p.ApprovedBy.Select(u => "@" + u))}")))
            : (CommitState.Success, report.Projects.Any(p => p.Plan?.HasChanges == true) ? "planned; no approval needed" : "no changes");
    }
}
