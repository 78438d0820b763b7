using System.Collections.Concurrent;
using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The pull request workflow's side of a fan-out: what each phase needs from the stores and what it
/// leaves in them. A matrix job must leave its results where the gather can read them, so the plan
/// store is checked first. The matrix job takes every affected project's lock for the PR, one after
/// the other, as a single job does at its start (on the github backend that writes the "planning…"
/// comment); the plan jobs then only renew their own locks, so parallel jobs never add entries to one
/// comment at once.
/// </summary>
public static class FanOutPlans
{
    /// <exception cref="UsageException">The plan store or the lock store cannot be shared by the jobs of a fan-out.</exception>
    public static void Check(PlanBotConfig config, IPlanStore? plans)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (plans is null || config.PlansStore is not ("s3" or "azure"))
        {
            throw new UsageException($"a fanned-out run needs a plan store every job of the workflow reads: set plans.store to s3 or azure in planbot.yaml (it is '{config.PlansStore}'; a runner's disk does not outlive its job)");
        }

    }

    /// <summary>
    /// A fanned-out run without PLANBOT_PLAN_KEY: refused (exit 2). Its plan jobs run the PR's code
    /// and hand their results to the gather through the bucket; unkeyed, a result is only
    /// checksummed, and anyone who can write the bucket could forge one (docs/deployment.md
    /// "What a plan job can and cannot forge").
    /// </summary>
    public static string PlanKeyMissing(string phase) =>
        $"--phase {phase}: a fanned-out run needs the plan-key input (PLANBOT_PLAN_KEY), the key that encrypts and authenticates what its jobs hand over in the plan store. " +
        "Make one with `openssl rand -base64 32`, store it as a repository secret and pass `plan-key: ${{ secrets.PLANBOT_PLAN_KEY }}` to every job of the fan-out (action/plan-fanout.yml, action/apply-fanout.yml); " +
        "without it anyone who can write the bucket could forge a project's result. Fork PRs get no secrets: run the fan-out for branches of this repository only (see docs/deployment.md, fan-out security)";

    /// <summary>Why a single job would not plan this PR (a draft, a fork), or null.</summary>
    public static string? NotPlanned(PullRequestInfo pr, PlanBotConfig config, PullRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(pr);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(context);
        return pr.Draft && !config.PullRequests.PlanDrafts ? "draft"
            : pr.FromFork && (!config.PullRequests.PlanForks || context.ForkPlanRequestedBy is null) ? "fork"
            : null;
    }

    /// <summary>What the plan engine does in this phase, and where the gather collects the matrix jobs' warnings.</summary>
    public static (FanOutTarget? Target, IReadOnlyCollection<string> Warnings) Target(FanOutPhase phase, PullRequestContext context, IPlanStore? plans)
    {
        ArgumentNullException.ThrowIfNull(context);
        var warnings = new ConcurrentQueue<string>();
        var pr = context.PullRequest;
        return phase switch
        {
            FanOutPhase.Matrix => (new FanOutTarget { Only = new HashSet<string>(StringComparer.Ordinal), LockAll = true }, warnings),
            FanOutPhase.Plan => (new FanOutTarget { Only = (context.FanOut?.Projects ?? []).ToHashSet(StringComparer.Ordinal) }, warnings),
            FanOutPhase.Gather => (new FanOutTarget
            {
                Gather = async (project, artifacts, ct) =>
                {
                    var gathered = await FanOutResults.GetAsync(plans!, context.Repo, pr.Number, pr.HeadSha, context.RunId, project, artifacts, ct).ConfigureAwait(false);
                    foreach (var warning in gathered.Stored?.Warnings ?? [])
                    {
                        warnings.Enqueue(warning);
                    }

                    return gathered;
                },
            }, warnings),
            _ => (null, warnings),
        };
    }

    /// <summary>The matrix job's gate while the plan jobs run: pending, so nothing merges before the gather.</summary>
    public static string PlanningGate(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var count = report.Levels.Sum(l => l.Count);
        return count == 0 ? "planning: no affected projects" : $"planning {count} project(s) in {report.Levels.Count} level(s) as parallel jobs";
    }

    /// <summary>The plan phase: every planned project's result, for the gather (a failure to store fails the job, so the gather reports the project failed).</summary>
    public static async Task StoreResultsAsync(IPlanStore plans, PullRequestContext context, RunReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        foreach (var project in report.Projects)
        {
            // PlanFiles.StoreAsync names the projects whose plan file it could not store in one warning
            var warnings = report.Warnings.Where(w => w.StartsWith("the plan files of ", StringComparison.Ordinal) && w.Contains($"`{project.Project.Name}`", StringComparison.Ordinal)).ToArray();
            await FanOutResults.PutAsync(plans, context.Repo, context.PullRequest.Number, report.Head, context.RunId, project, warnings, cancellationToken).ConfigureAwait(false);
        }
    }
}
