using PlanBot.Core.Plans;

namespace PlanBot.Core.Runs;

public enum DriftStatus
{
    InSync,
    Drifted,
    Failed,
}

/// <summary>One project checked for drift: the resources that differ (changed outside of Terraform, or planned on main), and since when.</summary>
public sealed record ProjectDrift(ProjectResult Result, DriftStatus Status, IReadOnlyList<string> Resources, DateTimeOffset? FirstSeen)
{
    public string Name => Result.Project.Name;
}

/// <summary>A drift check of every (or the named) project at the default branch's head.</summary>
public sealed record DriftReport(RunReport Run, IReadOnlyList<ProjectDrift> Projects, DateTimeOffset CheckedAt)
{
    /// <summary>Exit code 3 (documented): something drifted; 1 wins when a project could not be checked.</summary>
    public const int DriftedExitCode = 3;

    public IReadOnlyList<ProjectDrift> Drifted => [.. Projects.Where(p => p.Status == DriftStatus.Drifted)];

    public bool AnyFailed => Projects.Any(p => p.Status == DriftStatus.Failed);

    /// <summary>
    /// Classifies a plan run: a project whose plan has resource drift or any planned change has
    /// drifted (main no longer describes the cloud); <paramref name="firstSeen"/> carries the time a
    /// project was first seen drifted from the previous report.
    /// </summary>
    public static DriftReport From(RunReport run, DateTimeOffset now, IReadOnlyDictionary<string, DateTimeOffset>? firstSeen = null) => new(run, [.. run.Projects.Select(p =>
    {
        if (!p.Succeeded || p.Plan is null)
        {
            return new ProjectDrift(p, DriftStatus.Failed, [], null);
        }

        var resources = p.Plan.Drift.Select(d => d.Address)
            .Concat(p.Plan.Changes.Where(c => c.Action is not (ChangeAction.Read or ChangeAction.NoOp) || c.IsMove || c.Importing).Select(c => c.Address))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return resources.Length == 0 && p.Plan.OutputChanges.Count == 0
            ? new ProjectDrift(p, DriftStatus.InSync, [], null)
            : new ProjectDrift(p, DriftStatus.Drifted, resources, firstSeen is not null && firstSeen.TryGetValue(p.Project.Name, out var seen) ? seen : now);
    })], now);

    public int ExitCode => AnyFailed ? 1 : Drifted.Count > 0 ? DriftedExitCode : 0;
}
