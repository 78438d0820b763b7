using PlanBot.Core.Plans;

namespace PlanBot.Core.Runs;

public enum ApplyStatus
{
    Applied,
    NoChanges,
    HeldBack,
    Failed,
    Skipped,
    /// <summary>A dependent re-planned after its upstream applied, waiting for an approval (or <c>apply.dependents: plan</c>).</summary>
    Planned,
}

/// <summary>Which plan an applied project's changes came from.</summary>
public enum ApplySource
{
    /// <summary>Nothing was applied, or the apply did not say (an apply before the merge).</summary>
    None,
    /// <summary>The plan file stored when the PR was planned: the approved plan itself.</summary>
    StoredPlan,
    /// <summary>A re-plan of the merged commit whose content matched the approved one (or needed no approval).</summary>
    Replan,
}

public sealed record ApplyResult(string Project, ApplyStatus Status, string? Detail = null, ActionCounts? Counts = null) : IScheduledResult
{
    public bool Succeeded => Status is ApplyStatus.Applied or ApplyStatus.NoChanges;

    public ApplySource Source { get; init; }

    /// <summary>The upstream whose apply made this project a dependent run (it reads that project's outputs); null for the PR's own projects.</summary>
    public string? After { get; init; }

    /// <summary>For a held-back project: what differs from the approved plan, one line per resource (attribute paths, never values).</summary>
    public IReadOnlyList<string> Differences { get; init; } = [];
}
