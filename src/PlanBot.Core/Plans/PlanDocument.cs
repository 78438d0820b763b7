using System.Text.Json;

namespace PlanBot.Core.Plans;

/// <summary>
/// Builds the summary's model (<see cref="PlanJson"/>) from a plan already parsed into a
/// <see cref="JsonDocument"/>, so a plan that is rendered (which needs the document for its
/// attribute diffs) is parsed once, not twice. It accepts and refuses exactly what the streaming
/// deserializer (<see cref="PlanJsonContext"/>) does: the same fields, the same types, the last of a
/// repeated key wins, unknown fields are skipped; each change's values are digested by the same
/// <see cref="ChangeValues.Digest"/>, so the fingerprint is the same whichever way a plan is read.
/// It also keeps the serializer's metadata, and the JIT time it costs, off the render path.
/// </summary>
internal static class PlanDocument
{
    /// <summary>The plan as the deserializer would give it; null for a JSON null document.</summary>
    /// <exception cref="JsonException">A field of the wrong type, with the path to it.</exception>
    public static PlanJson? Read(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var plan = new PlanJson();
        foreach (var field in Object(root, "$").EnumerateObject())
        {
            var path = "$." + field.Name;
            switch (field.Name)
            {
                case "format_version": plan.FormatVersion = String(field.Value, path); break;
                case "plan_format_version": plan.PlanFormatVersion = String(field.Value, path); break;
                case "terraform_version": plan.TerraformVersion = String(field.Value, path); break;
                case "errored": plan.Errored = Bool(field.Value, path); break;
                case "complete": plan.Complete = Bool(field.Value, path); break;
                case "applyable": plan.Applyable = Bool(field.Value, path); break;
                case "resource_changes": plan.ResourceChanges = Changes(field.Value, path); break;
                case "resource_drift": plan.ResourceDrift = Changes(field.Value, path); break;
                case "output_changes": plan.OutputChanges = Outputs(field.Value, path); break;
                case "variables": plan.Variables = Variables(field.Value, path); break;
            }
        }

        return plan;
    }

    private static List<ResourceChangeJson>? Changes(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Wrong("a list of resource changes", value, path);
        }

        var list = new List<ResourceChangeJson>(value.GetArrayLength());
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            list.Add(Change(item, $"{path}[{i++}]")!); // a null item stays null, as the deserializer leaves it
        }

        return list;
    }

    private static ResourceChangeJson? Change(JsonElement item, string path)
    {
        if (item.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var change = new ResourceChangeJson();
        foreach (var field in Object(item, path).EnumerateObject())
        {
            var at = path + "." + field.Name;
            switch (field.Name)
            {
                case "address": change.Address = String(field.Value, at); break;
                case "previous_address": change.PreviousAddress = String(field.Value, at); break;
                case "module_address": change.ModuleAddress = String(field.Value, at); break;
                case "mode": change.Mode = String(field.Value, at); break;
                case "type": change.Type = String(field.Value, at); break;
                case "name": change.Name = String(field.Value, at); break;
                case "deposed": change.Deposed = String(field.Value, at); break;
                case "provider_name": change.ProviderName = String(field.Value, at); break;
                case "action_reason": change.ActionReason = String(field.Value, at); break;
                case "change": change.Change = field.Value.ValueKind == JsonValueKind.Null ? null : Guard(at, () => ChangeJsonConverter.From(field.Value)); break;
            }
        }

        return change;
    }

    private static Dictionary<string, OutputChangeJson>? Outputs(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var outputs = new Dictionary<string, OutputChangeJson>(StringComparer.Ordinal);
        foreach (var output in Object(value, path).EnumerateObject())
        {
            var at = path + "." + output.Name;
            outputs[output.Name] = output.Value.ValueKind == JsonValueKind.Null ? null! : Guard(at, () => OutputChangeJsonConverter.From(output.Value));
        }

        return outputs;
    }

    private static Dictionary<string, VariableJson>? Variables(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var variables = new Dictionary<string, VariableJson>(StringComparer.Ordinal);
        foreach (var variable in Object(value, path).EnumerateObject())
        {
            var at = path + "." + variable.Name;
            if (variable.Value.ValueKind == JsonValueKind.Null)
            {
                variables[variable.Name] = null!;
                continue;
            }

            var read = new VariableJson();
            foreach (var field in Object(variable.Value, at).EnumerateObject())
            {
                if (field.Name == "value")
                {
                    read.Value = field.Value;
                }
            }

            variables[variable.Name] = read;
        }

        return variables;
    }

    private static JsonElement Object(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Object ? value : throw Wrong("a JSON object", value, path);

    private static string? String(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        _ => throw Wrong("a string", value, path),
    };

    private static bool? Bool(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        _ => throw Wrong("true or false", value, path),
    };

    /// <summary>A change's own errors (<see cref="ChangeObjects"/>) get the path to it, as the deserializer adds it.</summary>
    private static T Guard<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (JsonException e) when (e.Path is null)
        {
            throw new JsonException(e.Message, path, null, null, e);
        }
    }

    private static JsonException Wrong(string expected, JsonValueKind actual, string path) =>
        new($"expected {expected}, found {(actual == JsonValueKind.Undefined ? "nothing" : actual.ToString())}", path, null, null);

    private static JsonException Wrong(string expected, JsonElement value, string path) => Wrong(expected, value.ValueKind, path);
}
