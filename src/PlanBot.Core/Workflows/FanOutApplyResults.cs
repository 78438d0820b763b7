using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>One project's result of a fanned-out merge apply as its level job stored it, and what waits (a re-plan to approve or apply later).</summary>
public sealed record StoredApplyResult
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public required string Project { get; init; }
    public required string Sha { get; init; }
    public required string RunId { get; init; }
    public required ApplyResult Result { get; init; }
    /// <summary>The waiting plan's fingerprint (its file is stored under the merge's own plan key, where `/planbot apply` reads it).</summary>
    public string? WaitingFingerprint { get; init; }
    public bool WaitingApprovalRequired { get; init; }
    public ActionCounts? WaitingCounts { get; init; }
}

/// <summary>
/// Results of a fanned-out merge apply in the plan store: one sealed object per project under
/// (repository, PR, merge.run + <see cref="Suffix"/>, project), sealed as <see cref="FanOutResults"/>
/// seals plan results (checksum, key binding, the plan key's encryption), keyed by the workflow run so a
/// later run never reads them; the gather deletes them with the PR's other objects.
/// </summary>
public static class FanOutApplyResults
{
    /// <summary>Distinct from <see cref="FanOutResults.Suffix"/>: a merge commit can be the PR's planned head (a fast-forward).</summary>
    public const string Suffix = ".apply";

    public static PlanKey Key(string repo, int pullRequest, string sha, string runId, string project) => new(repo, pullRequest, $"{sha}.{runId}{Suffix}", project);

    /// <summary>Stores one project's result; a waiting plan's file goes first to the key the single job stores it under.</summary>
    public static async Task PutAsync(IPlanStore store, string repo, int pullRequest, string sha, string runId, ApplyResult result, ProjectResult? waiting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(result);
        if (waiting is { Plan: not null, PlanFile: not null })
        {
            await PlanFiles.PutAsync(store, new PlanKey(repo, pullRequest, sha, waiting.Project.Name), waiting, sha, cancellationToken).ConfigureAwait(false);
        }

        var stored = new StoredApplyResult
        {
            Project = result.Project,
            Sha = sha,
            RunId = runId,
            Result = result,
            WaitingFingerprint = waiting?.Plan?.Fingerprint,
            WaitingApprovalRequired = waiting?.Approval.Required ?? false,
            WaitingCounts = waiting?.Plan?.Counts,
        };
        await store.PutAsync(Key(repo, pullRequest, sha, runId, result.Project), new StoredPlan([], JsonSerializer.Serialize(stored, StoredJson.Default.StoredApplyResult)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One project's stored result (null: none stored), or why the stored one is refused (the project then fails).</summary>
    public static async Task<(ApplyResult Result, ProjectResult? Waiting)?> GetAsync(IPlanStore store, string repo, int pullRequest, string sha, string runId, Project project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(project);
        var name = project.Name;
        StoredPlan? plan;
        try
        {
            plan = await store.GetAsync(Key(repo, pullRequest, sha, runId, name), cancellationToken).ConfigureAwait(false);
        }
        catch (PlanIntegrityException e)
        {
            return (new ApplyResult(name, ApplyStatus.Failed, $"its stored apply result is refused ({e.Message}); check the state and the workflow run before `/planbot unlock`"), null);
        }

        if (plan is null)
        {
            return null;
        }

        StoredApplyResult? stored;
        try
        {
            stored = JsonSerializer.Deserialize(plan.SummaryJson, StoredJson.Default.StoredApplyResult);
        }
        catch (JsonException e)
        {
            return (new ApplyResult(name, ApplyStatus.Failed, $"its stored apply result is not one this PlanBot reads ({e.Message})"), null);
        }

        if (stored is null || stored.Version != StoredApplyResult.CurrentVersion || stored.Project != name || stored.Result.Project != name || stored.Sha != sha || stored.RunId != runId)
        {
            return (new ApplyResult(name, ApplyStatus.Failed, $"its stored apply result is refused: it is of {stored?.Project} at {stored?.Sha}, run {stored?.RunId}, not of {name} at {sha}, run {runId} (a result is never used for another project, merge or run)"), null);
        }

        var waiting = stored.WaitingFingerprint is { } fingerprint
            ? new ProjectResult
            {
                Project = project,
                Status = ProjectStatus.Planned,
                Plan = new PlanSummary { FormatVersion = "stored", Fingerprint = fingerprint, Counts = stored.WaitingCounts ?? new ActionCounts() },
                Approval = new ApprovalRequirement(stored.WaitingApprovalRequired, []),
            }
            : null;
        return (stored.Result, waiting);
    }
}
