using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Runs;

public enum ProjectStatus
{
    Planned,
    NoChanges,
    Failed,
    Skipped,
    Locked,
}

/// <summary>What happened to one project in a run.</summary>
public sealed record ProjectResult : IScheduledResult
{
    public required Project Project { get; init; }
    public required ProjectStatus Status { get; init; }
    public PlanSummary? Plan { get; init; }
    public ApprovalRequirement Approval { get; init; } = ApprovalRequirement.NotRequired;
    /// <summary>Who approved this project's plan for the head SHA (shown in the comment's table).</summary>
    public IReadOnlyList<string> ApprovedBy { get; init; } = [];
    /// <summary>One line: why it failed or was skipped.</summary>
    public string? Error { get; init; }
    /// <summary>Terraform's diagnostics when it failed (bounded).</summary>
    public string? Diagnostics { get; init; }
    public StateLockInfo? StateLock { get; init; }
    /// <summary>Why the project is in this run (changed files, modules, when_modified, -p).</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];
    public string? LogFile { get; init; }
    public string? PlanFile { get; init; }
    public string? PlanJsonFile { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>The workflow's run steps that ran, in order, with their output.</summary>
    public IReadOnlyList<StepReport> Steps { get; init; } = [];

    public bool Succeeded => Status is ProjectStatus.Planned or ProjectStatus.NoChanges;
}

/// <summary>The result of one plan run over the affected projects.</summary>
public sealed record RunReport
{
    public required string Head { get; init; }
    public required string Base { get; init; }
    public IReadOnlyList<IReadOnlyList<string>> Levels { get; init; } = [];
    /// <summary>In run order: level by level, names sorted within a level.</summary>
    public IReadOnlyList<ProjectResult> Projects { get; init; } = [];
    public IReadOnlyList<DeletedProject> Deleted { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>What the merge apply re-plans after each of these projects applies (<c>apply.mode: on_merge</c>); null: not told.</summary>
    public AfterMerge? AfterMerge { get; init; }

    public bool AnyFailed => Projects.Any(p => p.Status is ProjectStatus.Failed or ProjectStatus.Locked or ProjectStatus.Skipped);

    public IReadOnlyList<string> DependenciesOf(string project) => Dependencies.TryGetValue(project, out var d) ? d : [];

    /// <summary>For each project in the run, the projects of the run it waited for.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Dependencies { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}
