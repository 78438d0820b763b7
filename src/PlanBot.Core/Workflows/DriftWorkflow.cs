using PlanBot.Core.Runs;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The drift check, the one used by `planbot drift`, the Action's schedule / workflow_dispatch run and
/// the service's schedule: every project (or the named ones) planned at the checked-out head of the
/// default branch, refresh included, in dependency order, with run locks only.
/// </summary>
public sealed class DriftWorkflow(IPlanRunner planner, TimeProvider time, IProgress<string>? progress = null)
{
    public async Task<DriftReport> CheckAsync(string repoDir, string repository, ProjectSelection selection, PlanBotConfig config, ILockStore locks, string runId,
        IReadOnlyDictionary<string, DateTimeOffset>? firstSeen, CancellationToken cancellationToken)
    {
        var owner = new LockOwner(repository, 0, "HEAD", "planbot-drift", runId);
        var target = new PlanTarget
        {
            RepoDir = repoDir,
            BaseRef = "HEAD",
            HeadRef = "HEAD",
            Selection = selection.IsAffected ? ProjectSelection.Everything : selection,
            Owner = owner,
            ChangedFiles = [],
            TakeProjectLocks = false,
        };
        var run = await planner.PlanAsync(target, config, locks, cancellationToken).ConfigureAwait(false);
        var report = DriftReport.From(run, time.GetUtcNow(), firstSeen);
        progress?.Report($"drift: {report.Drifted.Count} drifted, {report.Projects.Count(p => p.Status == DriftStatus.Failed)} failed, {report.Projects.Count(p => p.Status == DriftStatus.InSync)} in sync");
        return report;
    }

    /// <summary>The check of every project, with the drift issue kept in step (first-seen times read from it).</summary>
    public async Task<(DriftReport Report, DriftIssueAction Issue)> CheckAndReportAsync(IVcs vcs, string repoDir, string repository, PlanBotConfig config, ILockStore locks, string runId,
        CommentOptions options, CancellationToken cancellationToken)
    {
        var issues = new DriftIssueWorkflow(vcs);
        var (open, firstSeen) = await issues.ReadAsync(repository, cancellationToken).ConfigureAwait(false);
        var report = await CheckAsync(repoDir, repository, ProjectSelection.Everything, config, locks, runId, firstSeen, cancellationToken).ConfigureAwait(false);
        var action = await issues.SyncAsync(repository, report, open, options, cancellationToken).ConfigureAwait(false);
        progress?.Report($"drift {repository}: {report.Drifted.Count} drifted; issue {action.ToString().ToLowerInvariant()}");
        return (report, action);
    }
}
