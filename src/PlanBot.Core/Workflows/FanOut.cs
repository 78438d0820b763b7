using PlanBot.Core.Discovery;

namespace PlanBot.Core.Workflows;

/// <summary>
/// Which part of a fanned-out pull request plan a run is (docs/deployment.md "Fan-out on GitHub
/// Actions"): <see cref="Single"/> plans and reports in one job (the default); <see cref="Matrix"/>
/// lists the affected projects as a job matrix; <see cref="Plan"/> plans one matrix entry's projects
/// and puts their results in the plan store; <see cref="Gather"/> reads every result back and posts
/// the comment, the gate and the check runs exactly as <see cref="Single"/> would.
/// </summary>
public enum FanOutPhase
{
    Single,
    Matrix,
    Plan,
    Gather,
    /// <summary>A push's merge apply: lists the merge's projects by dependency level (docs/deployment.md "Apply after merge fans out").</summary>
    ApplyMatrix,
    /// <summary>Applies one level job's projects of the merge, after the earlier levels' sealed results.</summary>
    Apply,
    /// <summary>Posts the merge's result comment from every stored result, as the single job does.</summary>
    ApplyGather,
}

/// <summary>How a pull request run takes part in a fan-out; null on a context: a single job.</summary>
public sealed record FanOutRun
{
    public required FanOutPhase Phase { get; init; }
    /// <summary>The plan phase: the matrix entry's projects (all must be affected at the head).</summary>
    public IReadOnlyList<string> Projects { get; init; } = [];
    /// <summary>The apply matrix: told the merge's projects by dependency level (the single job's rounds).</summary>
    public Action<IReadOnlyList<IReadOnlyList<string>>>? OnApplyLevels { get; init; }
}

/// <summary>
/// The plan engine's side of a fan-out (<see cref="PlanRequest.FanOut"/>): the levels and the
/// dependencies always cover every affected project, so a job planning some of them and the gather
/// that reads all of them see one layout.
/// </summary>
public sealed record FanOutTarget
{
    /// <summary>Plan only these of the affected projects (a matrix job, or none for the matrix itself).</summary>
    public IReadOnlySet<string>? Only { get; init; }
    /// <summary>The matrix job: take every affected project's lock for the PR first, one after the other (the plan jobs only renew them).</summary>
    public bool LockAll { get; init; }
    /// <summary>The gather: each project's result is read with this instead of running terraform.</summary>
    public Func<AffectedProject, string, CancellationToken, Task<GatheredResult>>? Gather { get; init; }
}

/// <summary>One project's result as the gather read it: the stored result and its plan JSON on disk, or why there is none.</summary>
public sealed record GatheredResult(StoredProjectResult? Stored, string? PlanJsonFile, string? Error);
