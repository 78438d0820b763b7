using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The JSON of what PlanBot stores beside plan files (fanned-out results; a stored plan's summary has its
/// own, <see cref="StoredPlanSummaryJson"/>, in Plans) and
/// of the apply fan-out's job outputs, as source-generated metadata: the Action's <c>planbot</c> is a
/// NativeAOT executable, where reflection-based serialization is not available (issue 19). The options
/// are the ones these records were always written with (snake_case, nulls left out, enums as
/// snake_case strings, integers refused for enums), so what an earlier version stored still reads.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters =
    [
        typeof(SnakeCaseEnum<ProjectStatus>),
        typeof(SnakeCaseEnum<TerraformOutcome>),
        typeof(SnakeCaseEnum<ApplyStatus>),
        typeof(SnakeCaseEnum<ApplySource>),
    ])]
[JsonSerializable(typeof(StoredProjectResult))]
[JsonSerializable(typeof(StoredApplyResult))]
internal sealed partial class StoredJson : JsonSerializerContext;

/// <summary>Job outputs: plain JSON (default names), one line.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<IReadOnlyList<string>>))]
[JsonSerializable(typeof(IReadOnlyList<IReadOnlyList<string>>[]))]
internal sealed partial class OutputJson : JsonSerializerContext;

/// <summary>An enum written as its snake_case name; a number is refused (a stored record is never read by position).</summary>
internal sealed class SnakeCaseEnum<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
