using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>
/// One project's result of a fanned-out plan as a matrix job stored it for the gather: how the
/// project ended (status, error, terraform's diagnostics, the run steps) and whether the plan JSON is
/// stored beside it. The plan's summary is not stored but read again from that JSON by the gather,
/// with the same reader, masks and salt, so the comment cannot differ from a single job's.
/// </summary>
public sealed record StoredProjectResult
{
    /// <summary>The format of this record; another version is refused (re-run the workflow).</summary>
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public required string Project { get; init; }
    public required string Head { get; init; }
    /// <summary>The workflow run (GITHUB_RUN_ID) whose plan job stored it; only that run's gather reads it.</summary>
    public required string RunId { get; init; }
    public required ProjectStatus Status { get; init; }
    public string? Error { get; init; }
    public string? Diagnostics { get; init; }
    public StateLockInfo? StateLock { get; init; }
    public IReadOnlyList<StoredStep> Steps { get; init; } = [];
    public long DurationMs { get; init; }
    /// <summary>The plan JSON (terraform show -json) is the object's payload.</summary>
    public bool HasPlanJson { get; init; }
    /// <summary>Warnings of the matrix job about this project (its plan file could not be stored).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>A run step as <see cref="StepReport"/> holds it.</summary>
public sealed record StoredStep(string Title, TerraformOutcome Outcome, int ExitCode, string Output, long DurationMs);

/// <summary>
/// Results of a fanned-out plan in the plan store (<c>plans.store</c> s3 or azure): one sealed object
/// per project under (repository, PR, head.run + <see cref="Suffix"/>, project), beside the plan files,
/// so closing or applying the PR deletes them with the rest. Keyed by the workflow run: a gather never
/// reads what a plan job of an earlier run of the same head left (its own job may have failed before
/// storing), while "re-run failed jobs" (same run id) keeps the results of the jobs that succeeded. The envelope's SHA-256 and key binding
/// (<see cref="PlanEnvelope"/>) refuse an altered or moved result; the gather then reports the project
/// as failed, never as planned.
/// </summary>
public static class FanOutResults
{
    /// <summary>Appended to the head SHA in the key: a hex SHA never ends so, so results never meet plan files.</summary>
    public const string Suffix = ".result";

    public static PlanKey Key(string repo, int pullRequest, string head, string runId, string project) => new(repo, pullRequest, $"{head}.{runId}{Suffix}", project);

    /// <summary>Stores one project's result (its plan JSON must still be on disk when it planned).</summary>
    public static async Task PutAsync(IPlanStore store, string repo, int pullRequest, string head, string runId, ProjectResult result, IReadOnlyList<string> warnings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(result);
        var json = result.Succeeded && result.PlanJsonFile is { } file && File.Exists(file) ? await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false) : null;
        var stored = new StoredProjectResult
        {
            Project = result.Project.Name,
            Head = head,
            RunId = runId,
            Status = result.Status,
            Error = result.Error,
            Diagnostics = result.Diagnostics,
            StateLock = result.StateLock,
            Steps = [.. result.Steps.Select(s => new StoredStep(s.Title, s.Outcome, s.ExitCode, s.Output, (long)s.Duration.TotalMilliseconds))],
            DurationMs = (long)result.Duration.TotalMilliseconds,
            HasPlanJson = json is not null,
            Warnings = warnings,
        };
        await store.PutAsync(Key(repo, pullRequest, head, runId, result.Project.Name), new StoredPlan(json ?? [], JsonSerializer.Serialize(stored, StoredJson.Default.StoredProjectResult)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads one project's result; its plan JSON is written to <paramref name="artifactsDir"/>. Never
    /// throws for a missing, altered or foreign result: the error says which, and the project fails.
    /// </summary>
    public static async Task<GatheredResult> GetAsync(IPlanStore store, string repo, int pullRequest, string head, string runId, AffectedProject project, string artifactsDir, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(project);
        var name = project.Project.Name;
        StoredPlan? plan;
        try
        {
            plan = await store.GetAsync(Key(repo, pullRequest, head, runId, name), cancellationToken).ConfigureAwait(false);
        }
        catch (PlanIntegrityException e)
        {
            return new GatheredResult(null, null, $"its stored result is refused ({e.Message}); re-run the workflow to plan it again");
        }

        if (plan is null)
        {
            return new GatheredResult(null, null, "no result in the plan store: its matrix job failed, was cancelled or did not run (see the workflow run); re-run the failed jobs");
        }

        StoredProjectResult? stored;
        try
        {
            stored = JsonSerializer.Deserialize(plan.SummaryJson, StoredJson.Default.StoredProjectResult);
        }
        catch (JsonException e)
        {
            return new GatheredResult(null, null, $"its stored result is not one this PlanBot reads ({e.Message}); re-run the workflow");
        }

        if (stored is null || stored.Version != StoredProjectResult.CurrentVersion || stored.Project != name || stored.Head != head || stored.RunId != runId)
        {
            return new GatheredResult(null, null, $"its stored result is refused: it is the result of {stored?.Project} at {stored?.Head}, run {stored?.RunId}, format v{stored?.Version}, not of {name} at {head}, run {runId}, v{StoredProjectResult.CurrentVersion} (a result is never used for another project, head or run); re-run the workflow");
        }

        if (!stored.HasPlanJson)
        {
            return new GatheredResult(stored, null, null);
        }

        var dir = Path.Combine(artifactsDir, PlanWorkflow.SafeName(name));
        Directory.CreateDirectory(dir);
        var jsonFile = Path.Combine(dir, "plan.json");
        await File.WriteAllBytesAsync(jsonFile, plan.PlanFile, cancellationToken).ConfigureAwait(false);
        return new GatheredResult(stored, jsonFile, null);
    }
}
