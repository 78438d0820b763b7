using PlanBot.Core.Plans;
using PlanBot.Core.Ports;

using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>
/// Applies a re-plan of the merged commit: a project whose fingerprint equals the expected one (the
/// approved plan, or the last plan when no approval was needed) is applied from the plan file of
/// that same re-plan, in dependency order; one whose plan changed is held back; dependents of a
/// failed or held-back project are skipped. Terraform's stale-plan error is reported as such.
/// </summary>
public sealed class ApplyWorkflow(ITerraform terraform, IProgress<string>? progress = null)
{
    /// <param name="locks">With <paramref name="owner"/>: each apply runs under the project's run lease, so two applies never overlap.</param>
    public async Task<IReadOnlyList<ApplyResult>> RunAsync(RunReport replan, string treeRoot, IReadOnlyDictionary<string, string?> expected, int parallelism, CancellationToken cancellationToken,
        ILockStore? locks = null, LockOwner? owner = null)
    {
        var byName = replan.Projects.ToDictionary(p => p.Project.Name, StringComparer.Ordinal);
        var order = replan.Projects.Select(p => p.Project.Name).ToArray();
        var results = await DagScheduler.RunAsync(
            order,
            replan.DependenciesOf,
            parallelism,
            (name, ct) => ApplyAsync(byName[name], treeRoot, expected.TryGetValue(name, out var fingerprint) ? fingerprint : null, locks, owner, ct),
            (name, reason) => new ApplyResult(name, ApplyStatus.Skipped, reason),
            cancellationToken).ConfigureAwait(false);
        return [.. order.Select(n => results[n])];
    }

    private async Task<ApplyResult> ApplyAsync(ProjectResult planned, string treeRoot, string? expected, ILockStore? locks, LockOwner? owner, CancellationToken cancellationToken)
    {
        var name = planned.Project.Name;
        if (!planned.Succeeded || planned.Plan is null || planned.PlanFile is null)
        {
            return new ApplyResult(name, ApplyStatus.Failed, "the merged commit could not be planned: " + (planned.Error ?? planned.Status.ToString()));
        }

        if (!planned.Plan.HasChanges)
        {
            return new ApplyResult(name, ApplyStatus.NoChanges);
        }

        if (expected is null)
        {
            return new ApplyResult(name, ApplyStatus.HeldBack, "its plan was not approved");
        }

        if (planned.Plan.Fingerprint != expected)
        {
            return new ApplyResult(name, ApplyStatus.HeldBack, "the plan of the merged commit differs from the one approved (or planned) on the pull request");
        }

        RunLease? lease = null;
        if (locks is not null && owner is not null)
        {
            (lease, var busy) = await RunLease.TakeAsync(locks, new LockKey(LockKind.Run, owner.Repo, planned.Project.Dir, planned.Project.Workspace), owner, cancellationToken).ConfigureAwait(false);
            if (lease is null)
            {
                return new ApplyResult(name, ApplyStatus.Failed, $"terraform is already running on this project (run {busy!.Owner.RunId}); nothing was applied");
            }
        }

        await using var held = lease;
        progress?.Report($"{name}: terraform apply of the approved plan");
        var context = new TerraformContext
        {
            WorkingDir = planned.Project.Dir == Common.RepoPath.Root ? treeRoot : Path.Combine(treeRoot, planned.Project.Dir),
            Workspace = planned.Project.Workspace,
            LogFile = Path.Combine(Path.GetDirectoryName(planned.PlanFile)!, "apply.log"),
            Run = planned.Project.Run,
        };
        var (applied, stepError) = await ApplyStepsAsync(planned, context, cancellationToken).ConfigureAwait(false);
        if (stepError is not null)
        {
            return new ApplyResult(name, ApplyStatus.Failed, stepError);
        }

        if (applied.Ok)
        {
            return new ApplyResult(name, ApplyStatus.Applied, null, planned.Plan.Counts);
        }

        var stale = (applied.Diagnostics ?? applied.Error ?? "").Contains("Saved plan is stale", StringComparison.OrdinalIgnoreCase);
        return new ApplyResult(name, ApplyStatus.Failed, stale
            ? "terraform refused the saved plan as stale (the state changed after it was made); run the apply again to re-plan"
            : applied.Error ?? $"terraform apply {applied.Outcome}");
    }

    /// <summary>The project's apply steps (planbot.yaml workflows): its run steps around terraform apply; a failed run step stops the rest.</summary>
    private async Task<(TerraformResult Applied, string? StepError)> ApplyStepsAsync(ProjectResult planned, TerraformContext context, CancellationToken cancellationToken)
    {
        var applied = new TerraformResult { Outcome = TerraformOutcome.Failed, Error = "the workflow has no apply step" };
        var index = 0;
        var ranApply = false;
        foreach (var step in planned.Project.Workflow?.Apply ?? Config.WorkflowDefinition.DefaultApply)
        {
            if (step.Command is { } command)
            {
                var (result, _) = await WorkflowSteps.RunAsync(terraform, planned.Project, context, command, ++index, planned.PlanFile!, planned.PlanJsonFile, cancellationToken).ConfigureAwait(false);
                if (!result.Ok)
                {
                    return (result, $"{WorkflowSteps.Failed(planned.Project, step, result)}; {(ranApply ? "terraform apply had succeeded before it" : "nothing was applied")}");
                }

                continue;
            }

            applied = await terraform.ApplyAsync(context, planned.PlanFile!, cancellationToken).ConfigureAwait(false);
            ranApply = true;
            if (!applied.Ok)
            {
                return (applied, null);
            }
        }

        return (applied, null);
    }
}
