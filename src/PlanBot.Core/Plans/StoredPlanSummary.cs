using System.Text.Json;
using System.Text.Json.Serialization;

namespace PlanBot.Core.Plans;

/// <summary>
/// The summary kept beside a stored plan file (<see cref="Ports.StoredPlan.SummaryJson"/>): which
/// project and head it is the plan of, its content fingerprint and counts, and its values attribute
/// by attribute (<see cref="PlanValues"/>) so a differing re-plan can be explained. The merge applies
/// a stored plan only when its fingerprint is the one recorded for the PR's plan.
/// </summary>
public sealed record StoredPlanSummary
{
    /// <summary>The format of this summary; another version is not read (the merge re-plans instead).</summary>
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public required string Project { get; init; }
    public required string Head { get; init; }
    public required string Fingerprint { get; init; }
    public ActionCounts Counts { get; init; } = new();
    public bool ApprovalRequired { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Values { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    public string ToJson() => JsonSerializer.Serialize(this, StoredPlanSummaryJson.Default.StoredPlanSummary);

    /// <summary>The summary, or null when it is not one this version of PlanBot wrote (then the merge re-plans).</summary>
    public static StoredPlanSummary? Parse(string json)
    {
        try
        {
            var summary = JsonSerializer.Deserialize(json, StoredPlanSummaryJson.Default.StoredPlanSummary);
            return summary is { Version: CurrentVersion, Project.Length: > 0, Fingerprint.Length: > 0 } ? summary : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The summary's JSON as source-generated metadata (the Action's NativeAOT build has no reflection-based
/// serializer), with the options it was always written with (StoredJsonTests pins them).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredPlanSummary))]
internal sealed partial class StoredPlanSummaryJson : JsonSerializerContext;
