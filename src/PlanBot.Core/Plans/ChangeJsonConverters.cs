using System.Text.Json;
using System.Text.Json.Serialization;

namespace PlanBot.Core.Plans;

/// <summary>
/// Reads a resource's <c>change</c> object in the same pass as the rest of the plan: its values are
/// reduced to a <see cref="ValueContent"/> digest on the spot and dropped, so the content fingerprint
/// costs no second read of the plan and the summary still never holds attribute values.
/// </summary>
internal sealed class ChangeJsonConverter : JsonConverter<ChangeJson>
{
    public override ChangeJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return From(document.RootElement, clone: true);
    }

    /// <summary>A <c>change</c> object read from its element; <paramref name="clone"/> when the element's document is disposed after.</summary>
    public static ChangeJson From(JsonElement element, bool clone = false)
    {
        var change = ChangeObjects.Object(element, "change");
        return new ChangeJson
        {
            Actions = ChangeObjects.Actions(change),
            ReplacePaths = change.TryGetProperty("replace_paths", out var paths) ? (clone ? paths.Clone() : paths) : null,
            Importing = change.TryGetProperty("importing", out var importing) ? (clone ? importing.Clone() : importing) : null,
            Content = ChangeValues.Digest(change),
        };
    }

    public override void Write(Utf8JsonWriter writer, ChangeJson value, JsonSerializerOptions options) =>
        throw new NotSupportedException("PlanBot only reads plan JSON");
}

/// <summary>An output's change, read like <see cref="ChangeJsonConverter"/>; whether it is sensitive is kept for the summary.</summary>
internal sealed class OutputChangeJsonConverter : JsonConverter<OutputChangeJson>
{
    public override OutputChangeJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return From(document.RootElement, clone: true);
    }

    /// <summary>An output's change read from its element, as <see cref="ChangeJsonConverter.From"/>.</summary>
    public static OutputChangeJson From(JsonElement element, bool clone = false)
    {
        var change = ChangeObjects.Object(element, "output change");
        return new OutputChangeJson
        {
            Actions = ChangeObjects.Actions(change),
            BeforeSensitive = change.TryGetProperty("before_sensitive", out var before) ? (clone ? before.Clone() : before) : null,
            AfterSensitive = change.TryGetProperty("after_sensitive", out var after) ? (clone ? after.Clone() : after) : null,
            Content = ChangeValues.Digest(change),
        };
    }

    public override void Write(Utf8JsonWriter writer, OutputChangeJson value, JsonSerializerOptions options) =>
        throw new NotSupportedException("PlanBot only reads plan JSON");
}

internal static class ChangeObjects
{
    public static JsonElement Object(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new JsonException($"a {what} must be a JSON object, not {element.ValueKind}");

    /// <summary>The actions list; null when absent or null (the reader names the change that lacks it).</summary>
    public static List<string>? Actions(JsonElement change)
    {
        if (!change.TryGetProperty("actions", out var actions) || actions.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (actions.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"change.actions must be a list of strings, not {actions.ValueKind}");
        }

        var list = new List<string>(actions.GetArrayLength());
        foreach (var action in actions.EnumerateArray())
        {
            list.Add(action.ValueKind == JsonValueKind.String ? action.GetString()! : throw new JsonException($"change.actions must be a list of strings; it holds a {action.ValueKind}"));
        }

        return list;
    }
}
