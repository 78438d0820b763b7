using System.Text.Json;
using System.Text.Json.Serialization;

namespace PlanBot.Core.Plans;

// The `terraform show -json PLANFILE` document, formats 0.1 to 1.2. Only what PlanBot reads is declared;
// the deserializer skips the rest (planned_values, prior_state, configuration) without buffering it.

public sealed class PlanJson
{
    [JsonPropertyName("format_version")] public string? FormatVersion { get; set; }
    /// <summary>The redacted JSON plan Terraform Cloud's API serves names its version this way.</summary>
    [JsonPropertyName("plan_format_version")] public string? PlanFormatVersion { get; set; }
    [JsonPropertyName("terraform_version")] public string? TerraformVersion { get; set; }
    [JsonPropertyName("errored")] public bool? Errored { get; set; }
    [JsonPropertyName("complete")] public bool? Complete { get; set; }
    [JsonPropertyName("applyable")] public bool? Applyable { get; set; }
    [JsonPropertyName("resource_changes")] public List<ResourceChangeJson>? ResourceChanges { get; set; }
    [JsonPropertyName("resource_drift")] public List<ResourceChangeJson>? ResourceDrift { get; set; }
    [JsonPropertyName("output_changes")] public Dictionary<string, OutputChangeJson>? OutputChanges { get; set; }
    [JsonPropertyName("variables")] public Dictionary<string, VariableJson>? Variables { get; set; }
}

public sealed class VariableJson
{
    [JsonPropertyName("value")] public JsonElement? Value { get; set; }
}

public sealed class ResourceChangeJson
{
    [JsonPropertyName("address")] public string? Address { get; set; }
    [JsonPropertyName("previous_address")] public string? PreviousAddress { get; set; }
    [JsonPropertyName("module_address")] public string? ModuleAddress { get; set; }
    [JsonPropertyName("mode")] public string? Mode { get; set; }
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("deposed")] public string? Deposed { get; set; }
    [JsonPropertyName("provider_name")] public string? ProviderName { get; set; }
    [JsonPropertyName("action_reason")] public string? ActionReason { get; set; }
    [JsonPropertyName("change")] public ChangeJson? Change { get; set; }
}

/// <summary>
/// A resource change as the summary needs it. Attribute values (before, after, …) are reduced to
/// their <see cref="Content"/> digest while they are read (<see cref="ChangeJsonConverter"/>), so
/// the summary never buffers them: that keeps memory near the file size on big plans.
/// </summary>
[JsonConverter(typeof(ChangeJsonConverter))]
public sealed class ChangeJson
{
    [JsonPropertyName("actions")] public List<string>? Actions { get; set; }
    [JsonPropertyName("replace_paths")] public JsonElement? ReplacePaths { get; set; }
    [JsonPropertyName("importing")] public JsonElement? Importing { get; set; }
    /// <summary>The digest of before/after/importing (unknowns kept, sensitive values only as hashes) for the content fingerprint.</summary>
    [JsonIgnore] public ValueContent Content { get; set; } = ValueContent.Empty;

    /// <summary>
    /// What <see cref="PlanReader.Summarize(PlanJson, string, FingerprintSalt)"/> makes of this change,
    /// computed beside the reader on a big plan (<see cref="ChangeDigests"/>); null where it was not
    /// (Summarize then computes it, and reports what cannot be).
    /// </summary>
    internal Precomputed? Ready { get; set; }

    internal sealed record Precomputed(string? ActionList, string[]? ReplacePaths, FingerprintSalt Salt, string Digest);
}

/// <summary>An output change; outputs are few, and whether they are sensitive matters.</summary>
[JsonConverter(typeof(OutputChangeJsonConverter))]
public sealed class OutputChangeJson
{
    [JsonPropertyName("actions")] public List<string>? Actions { get; set; }
    [JsonPropertyName("before_sensitive")] public JsonElement? BeforeSensitive { get; set; }
    [JsonPropertyName("after_sensitive")] public JsonElement? AfterSensitive { get; set; }
    /// <summary>The digest of the output's before/after values, as <see cref="ChangeJson.Content"/>.</summary>
    [JsonIgnore] public ValueContent Content { get; set; } = ValueContent.Empty;
}

// MaxDepth: see PlanReader.MaxDepth (System.Text.Json's default of 64 refuses valid plans).
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Disallow, NumberHandling = JsonNumberHandling.Strict, MaxDepth = PlanReader.MaxDepth)]
[JsonSerializable(typeof(PlanJson))]
internal sealed partial class PlanJsonContext : JsonSerializerContext;
