using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>
/// Plan files between plan and apply (<c>plans.store</c>): at plan time every project with changes
/// gets its terraform plan file and a <see cref="StoredPlanSummary"/> stored under
/// (repository, PR, head SHA, project); the merge applies that file when the project's inputs did not
/// change. A store that fails does not fail the plan: the merge then re-plans and judges the new plan
/// by its content fingerprint, and the comment says so.
/// </summary>
public static class PlanFiles
{
    /// <summary>Stores the plans of <paramref name="report"/>; returns the report with a warning when some could not be stored.</summary>
    public static async Task<RunReport> StoreAsync(IPlanStore store, string repo, int pullRequest, RunReport report, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(report);
        var failed = new List<string>();
        foreach (var project in report.Projects.Where(p => p.Plan is { HasChanges: true } && p.PlanFile is not null))
        {
            try
            {
                await PutAsync(store, new PlanKey(repo, pullRequest, report.Head, project.Project.Name), project, report.Head, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The store is an optimisation of the merge (the fingerprint still guards it): say so, never fail the plan.
                progress?.Report($"{project.Project.Name}: plan file not stored: {e.GetType().Name}: {e.Message}");
                failed.Add(project.Project.Name);
            }
        }

        return failed.Count == 0 ? report : report with
        {
            Warnings = [.. report.Warnings, $"the plan files of {string.Join(", ", failed.Select(f => $"`{f}`"))} could not be stored in `plans.store` (see the run's log): the merge re-plans them and applies only a plan whose content matches the approved one"],
        };
    }

    /// <summary>Stores one project's plan file and summary (the plan JSON must still be on disk for its values).</summary>
    public static async Task PutAsync(IPlanStore store, PlanKey key, ProjectResult project, string head, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(project);
        var plan = project.Plan ?? throw new ArgumentException($"{project.Project.Name} has no plan", nameof(project));
        var summary = new StoredPlanSummary
        {
            Project = project.Project.Name,
            Head = head,
            Fingerprint = plan.Fingerprint,
            Counts = plan.Counts,
            ApprovalRequired = project.Approval.Required,
            Values = project.PlanJsonFile is { } json && File.Exists(json) ? await PlanValues.ReadFileAsync(json, cancellationToken).ConfigureAwait(false) : new Dictionary<string, IReadOnlyList<string>>(),
        };
        var bytes = await File.ReadAllBytesAsync(project.PlanFile!, cancellationToken).ConfigureAwait(false);
        await store.PutAsync(key, new StoredPlan(bytes, summary.ToJson()), cancellationToken).ConfigureAwait(false);
    }
}
