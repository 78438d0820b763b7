using PlanBot.Core.Plans;

namespace PlanBot.Core.Runs;

public enum ApplyStatus
{
    Applied,
    NoChanges,
    HeldBack,
    Failed,
    Skipped,
}

public sealed record ApplyResult(string Project, ApplyStatus Status, string? Detail = null, ActionCounts? Counts = null) : IScheduledResult
{
    public bool Succeeded => Status is ApplyStatus.Applied or ApplyStatus.NoChanges;
}
