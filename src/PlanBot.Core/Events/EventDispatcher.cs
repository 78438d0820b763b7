using PlanBot.Core.Comments;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Core.Common;

namespace PlanBot.Core.Events;

/// <summary>The parts every workflow is built from, registered once by the composition root (PlanBot.Hosting).</summary>
/// <param name="ConfigDir">PLANBOT_CONFIG_DIR: where planbot.yaml is, relative to the checkout.</param>
public sealed record EngineParts(IVcs Vcs, IRepoCheckout Checkout, IStores Stores, IPlanRunner Planner, IGit Git, Func<TerraformSettings, ITerraform> Terraform, TimeProvider Time,
    string? ConfigDir, IProgress<string>? Progress)
{
    /// <summary>The operator's server policy (<c>planbot serve --policy</c>, the Action's policy-file) every repository's planbot.yaml can only tighten; null: none.</summary>
    public ServerPolicy? ServerPolicy { get; init; }

    /// <summary>The fingerprint salt of a repository, as the plan engine uses it: a stored plan's fingerprint is derived again with it before its apply. Null: none.</summary>
    public Func<string, Plans.FingerprintSalt>? SaltFor { get; init; }
}

/// <summary>
/// The one event path of the Action and the service: an event → its checkout → the run's
/// configuration (loaded once) → its workflow. The host only turns the outcome into what it reports.
/// </summary>
public sealed class EventDispatcher(EngineParts parts)
{
    private IVcs Vcs => parts.Vcs;

    /// <exception cref="ConfigException">planbot.yaml is invalid.</exception>
    /// <exception cref="UsageException">The event cannot be acted on as given.</exception>
    public async Task<EventOutcome> DispatchAsync(PlanBotEvent planBotEvent, EventRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planBotEvent);
        ArgumentNullException.ThrowIfNull(run);
        if (parts.ServerPolicy?.Refusal(planBotEvent.Repo) is { } refused)
        {
            // before any checkout, API call or comment: the operator does not serve this repository
            parts.Progress?.Report(refused);
            return new EventOutcome { Refused = refused };
        }

        switch (planBotEvent)
        {
            case PlanBotEvent.PullRequestChanged changed:
                return await TellingErrorsAsync(changed.Repo, changed.PullRequest, run, () => OnPullRequestAsync(changed.Repo, changed.PullRequest, null, run, cancellationToken), cancellationToken).ConfigureAwait(false);
            case PlanBotEvent.Command command:
                var pr = await Vcs.GetPullRequestAsync(command.Repo, command.Number, cancellationToken).ConfigureAwait(false);
                return await TellingErrorsAsync(command.Repo, pr, run, () => OnPullRequestAsync(command.Repo, pr, command.Comment, run, cancellationToken), cancellationToken).ConfigureAwait(false);
            case PlanBotEvent.PullRequestClosed closed:
                return await OnClosedAsync(closed, cancellationToken).ConfigureAwait(false);
            case PlanBotEvent.PushToDefaultBranch push:
                return await OnPushAsync(push, run, cancellationToken).ConfigureAwait(false);
            case PlanBotEvent.DriftCheck drift:
                return await OnDriftAsync(drift, run, cancellationToken).ConfigureAwait(false);
            case PlanBotEvent.Ignored ignored:
                parts.Progress?.Report($"{ignored.Repo}: {ignored.Why}; nothing to do");
                return EventOutcome.Nothing;
            default:
                throw new InvalidOperationException($"{planBotEvent.GetType().Name}: an event the dispatcher does not handle");
        }
    }

    /// <summary>The workflows of one run, over the stores its configuration chooses.</summary>
    public RunWorkflows Workflows(PlanBotConfig config)
    {
        var locks = parts.Stores.Locks(config);
        var approvals = parts.Stores.Approvals(locks);
        var terraform = parts.Terraform(config.Terraform);
        var plans = parts.Stores.Plans(config);
        var apply = new ApplyWorkflow(terraform, parts.Progress);
        var pullRequests = new PullRequestWorkflow(Vcs, parts.Planner, locks, approvals, parts.Time, parts.Progress, plans);
        var merges = new MergeWorkflow(Vcs, parts.Planner, apply, locks, approvals, parts.Time, parts.Progress, new MergeSources(plans, parts.Git, parts.Checkout, terraform, parts.SaltFor));
        // a merged PR's apply runs as a push's: with the configuration of the default branch's checkout at the merge commit
        var commands = new CommandWorkflow(Vcs, pullRequests, merges, apply, locks, approvals, parts.Checkout, parts.Git, parts.Progress, root =>
        {
            var merged = RunConfigLoader.Load(root, parts.ConfigDir, parts.ServerPolicy).Config;
            return (merged, Workflows(merged).Merges);
        });
        return new RunWorkflows(locks, pullRequests, merges, commands);
    }

    /// <summary>The comment options of a run: the repository's settings, the host's links, the github backend's note.</summary>
    public CommentOptions Options(PlanBotConfig config, EventRun run)
    {
        var options = CommentOptions.ForComment(config.Comments, run.RunUrl) with
        {
            FooterNote = parts.Stores.LocksBackend(config) == "github" ? CommentOptions.GitHubLocksNote : null,
        };
        return run.FullReportLocation is { } location ? options with { FullReportLocation = location } : options;
    }

    /// <summary>
    /// A pull request's run whose error (invalid planbot.yaml at the head or the base, a usage error,
    /// a crash) is told on the PR before it goes on to the host (exit code, queue): the plan comment
    /// says what and how to fix it, and the gate fails (<see cref="ErrorNotice"/>). A notice that
    /// cannot be written is logged; the run's own error is the one that counts.
    /// </summary>
    private async Task<EventOutcome> TellingErrorsAsync(string repo, PullRequestInfo pr, EventRun run, Func<Task<EventOutcome>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception error) when (ErrorNotice.CanTell(error) && !cancellationToken.IsCancellationRequested && run.FanOut?.Phase != FanOutPhase.Plan) // a fan-out's plan job posts nothing: the gather reports its projects failed
        {
            try
            {
                var checkout = parts.Checkout.ExistingPullRequest(repo, pr.Number);
                await ErrorNotice.PostAsync(Vcs, repo, pr.Number, pr.HeadSha, ErrorNotice.For(error), run.RunUrl, checkout is null ? [] : [checkout], cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // the notice is a courtesy: the run's own error goes on to the host either way
            catch (Exception notice)
            {
                parts.Progress?.Report($"#{pr.Number}: could not say on the pull request why it was not planned ({notice.GetType().Name}: {notice.Message})");
            }
#pragma warning restore CA1031

            throw;
        }
    }

    private async Task<EventOutcome> OnPullRequestAsync(string repo, PullRequestInfo pr, IssueComment? comment, EventRun run, CancellationToken cancellationToken)
    {
        var checkout = await parts.Checkout.PullRequestAsync(repo, pr, cancellationToken).ConfigureAwait(false);
        var fanOut = comment is null ? run.FanOut : null;
        var plansAffected = comment is null && PullRequestStart.ListsFilesEarly(pr, fanOut, ProjectSelection.Affected);
        // a run that will find the affected projects reads the head's Terraform files meanwhile, when the checkout is that tree (issue 19)
        using var readAhead = plansAffected && parts.Checkout.InPlace(checkout, pr.HeadSha) is { } tree ? TreeReadAhead.Start(tree) : null;
        // the PR's file list is asked while planbot.yaml is read, only for a run that will want it (PullRequestStart)
        var started = await PullRequestStart.RunAsync(parts.Git, Vcs, repo, checkout, pr, plansAffected,
            parts.ConfigDir, parts.ServerPolicy, parts.Progress, cancellationToken).ConfigureAwait(false);
        var config = started.Config;
        var workflows = Workflows(config.Config);
        var context = new PullRequestContext { Repo = repo, PullRequest = pr, RepoDir = checkout, RunId = run.RunId, RunUrl = run.RunUrl, FanOut = fanOut, ChangedFiles = started.ChangedFiles, ReadAhead = readAhead };
        var options = Options(config.Config, run);
        var outcome = comment is null
            ? await workflows.PullRequests.RunAsync(context, config.Config, options, cancellationToken).ConfigureAwait(false)
            : await workflows.Commands.RunAsync(context, comment, config.Config, options, cancellationToken).ConfigureAwait(false);
        return new EventOutcome { Config = config, PullRequest = outcome };
    }

    private async Task<EventOutcome> OnClosedAsync(PlanBotEvent.PullRequestClosed closed, CancellationToken cancellationToken)
    {
        var number = closed.PullRequest.Number;
        var existing = parts.Checkout.ExistingPullRequest(closed.Repo, number);
        var config = existing is null ? RunConfigLoader.Defaults("", parts.ServerPolicy) : RunConfigLoader.Load(existing, parts.ConfigDir, parts.ServerPolicy);
        await new PullRequestClosedWorkflow(parts.Stores.Locks(config.Config), parts.Stores.Plans(config.Config), parts.Progress)
            .RunAsync(closed.Repo, number, cancellationToken, closed.MergedIntoDefaultBranch && config.Config.ApplyMode == ApplyMode.OnMerge).ConfigureAwait(false);
        await parts.Checkout.ForgetPullRequestAsync(closed.Repo, number, cancellationToken).ConfigureAwait(false);
        return new EventOutcome { Config = config };
    }

    private async Task<EventOutcome> OnPushAsync(PlanBotEvent.PushToDefaultBranch push, EventRun run, CancellationToken cancellationToken)
    {
        // Deliveries can arrive out of order (a shared queue is not FIFO; GitHub redelivers old pushes). Applying an
        // older merge's tree after a newer one would roll the newer one back: the newest push's run applies every
        // unapplied merge before it, oldest first (MergeWorkflow.ApplyPushAsync), so an older push does nothing.
        if (await parts.Checkout.DefaultBranchHeadAsync(push.Repo, push.CloneUrl, cancellationToken).ConfigureAwait(false) is { } head &&
            !string.Equals(head, push.Sha, StringComparison.OrdinalIgnoreCase))
        {
            parts.Progress?.Report($"{Naming.ShortSha(push.Sha)} is no longer the head of the default branch ({Naming.ShortSha(head)} is): the run of that newer push applies this merge first, so nothing is applied here");
            return EventOutcome.Nothing;
        }

        var tree = await parts.Checkout.DefaultBranchAsync(push.Repo, push.Sha, push.CloneUrl, cancellationToken).ConfigureAwait(false);
        await using (tree.ConfigureAwait(false))
        {
            var config = RunConfigLoader.Load(tree.Root, parts.ConfigDir, parts.ServerPolicy);
            var context = new PullRequestContext
            {
                Repo = push.Repo,
                PullRequest = new PullRequestInfo { Number = 0, HeadSha = push.Sha, BaseSha = push.Sha },
                RepoDir = tree.Root,
                RunId = run.RunId,
                RunUrl = run.RunUrl,
                CloneUrl = push.CloneUrl,
                FanOut = run.FanOut,
            };
            var applied = await Workflows(config.Config).Merges.ApplyPushAsync(context, push.Sha, config.Config, cancellationToken).ConfigureAwait(false);
            return new EventOutcome { Config = config, Applied = applied };
        }
    }

    private async Task<EventOutcome> OnDriftAsync(PlanBotEvent.DriftCheck drift, EventRun run, CancellationToken cancellationToken)
    {
        var tree = await parts.Checkout.DefaultBranchAsync(drift.Repo, null, drift.CloneUrl, cancellationToken).ConfigureAwait(false);
        await using (tree.ConfigureAwait(false))
        {
            var config = RunConfigLoader.Load(tree.Root, parts.ConfigDir, parts.ServerPolicy);
            var options = CommentOptions.ForComment(config.Config.Comments, run.RunUrl);
            var (report, _) = await new DriftWorkflow(parts.Planner, parts.Time, parts.Progress)
                .CheckAndReportAsync(Vcs, tree.Root, drift.Repo, config.Config, parts.Stores.Locks(config.Config), run.RunId, options, cancellationToken).ConfigureAwait(false);
            return new EventOutcome { Config = config, Drift = report, CheckoutDir = tree.Root };
        }
    }
}

/// <summary>The workflows of one run, sharing its lock store.</summary>
public sealed record RunWorkflows(ILockStore Locks, PullRequestWorkflow PullRequests, MergeWorkflow Merges, CommandWorkflow Commands);
