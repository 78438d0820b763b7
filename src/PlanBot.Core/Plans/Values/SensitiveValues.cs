using System.Text.Json;

namespace PlanBot.Core.Plans.Values;

/// <summary>
/// Collects every scalar that the plan marks sensitive: resource before/after values under their
/// <c>*_sensitive</c> masks, sensitive outputs, <c>sensitive_values</c> of prior state and planned
/// values, and the values of variables declared <c>sensitive = true</c>.
/// </summary>
public static class SensitiveValues
{
    public static HashSet<string> Collect(JsonElement plan)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in (ReadOnlySpan<string>)["resource_changes", "resource_drift"])
        {
            if (plan.TryGetProperty(field, out var changes) && changes.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in changes.EnumerateArray())
                {
                    if (item.TryGetProperty("change", out var change) && change.ValueKind == JsonValueKind.Object)
                    {
                        Add(change, "before", "before_sensitive", found);
                        Add(change, "after", "after_sensitive", found);
                    }
                }
            }
        }

        if (plan.TryGetProperty("output_changes", out var outputs) && outputs.ValueKind == JsonValueKind.Object)
        {
            foreach (var output in outputs.EnumerateObject())
            {
                Add(output.Value, "before", "before_sensitive", found);
                Add(output.Value, "after", "after_sensitive", found);
            }
        }

        foreach (var state in (ReadOnlySpan<string>)["prior_state", "planned_values"])
        {
            if (plan.TryGetProperty(state, out var values) && values.ValueKind == JsonValueKind.Object)
            {
                var root = state == "prior_state" && values.TryGetProperty("values", out var inner) ? inner : values;
                StateValues(root, found);
            }
        }

        SensitiveVariables(plan, found);
        return found;
    }

    /// <summary>Adds the scalars of <paramref name="value"/> that <paramref name="mask"/> marks (true = all of it).</summary>
    public static void AddMarked(JsonElement value, JsonElement mask, HashSet<string> found)
    {
        switch (mask.ValueKind)
        {
            case JsonValueKind.True:
                AddAll(value, found);
                break;
            case JsonValueKind.Object when value.ValueKind == JsonValueKind.Object:
                foreach (var property in mask.EnumerateObject())
                {
                    if (value.TryGetProperty(property.Name, out var child))
                    {
                        AddMarked(child, property.Value, found);
                    }
                }

                break;
            case JsonValueKind.Array when value.ValueKind == JsonValueKind.Array:
                // walk both lists together: indexing a JSON array walks it from the start every time
                using (var values = value.EnumerateArray())
                {
                    foreach (var itemMask in mask.EnumerateArray())
                    {
                        if (!values.MoveNext())
                        {
                            break;
                        }

                        AddMarked(values.Current, itemMask, found);
                    }
                }

                break;
        }
    }

    internal static void Add(JsonElement owner, string valueField, string maskField, HashSet<string> found)
    {
        if (owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty(maskField, out var mask) && owner.TryGetProperty(valueField, out var value))
        {
            AddMarked(value, mask, found);
        }
    }

    internal static void AddAll(JsonElement value, HashSet<string> found)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
            case JsonValueKind.Number:
                Add(value, found);
                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    AddAll(property.Value, found);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    AddAll(item, found);
                }

                break;
        }
    }

    /// <summary>
    /// A string's text or a number's JSON text, added to <paramref name="found"/>. Read from the value's
    /// bytes and looked up first: a plan repeats the same secret in every resource (issue 19), and
    /// only a new one needs a string. Escaped, long or not-UTF-8 ones are decoded as before (which
    /// refuses text that is not text).
    /// </summary>
    private static void Add(JsonElement value, HashSet<string> found)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value);
        var isString = value.ValueKind == JsonValueKind.String;
        if (isString)
        {
            raw = raw[1..^1]; // the quotes
        }

        if (raw.Length <= ShortValue && raw.IndexOf((byte)'\\') < 0 && System.Text.Unicode.Utf8.IsValid(raw) &&
            found.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup))
        {
            Span<char> chars = stackalloc char[ShortValue];
            lookup.Add(chars[..System.Text.Encoding.UTF8.GetChars(raw, chars)]);
            return;
        }

        found.Add(isString ? value.GetString()! : value.GetRawText());
    }

    private const int ShortValue = 256;

    private static void StateValues(JsonElement values, HashSet<string> found)
    {
        if (values.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (values.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Object)
        {
            foreach (var output in outputs.EnumerateObject())
            {
                if (output.Value.ValueKind == JsonValueKind.Object && output.Value.TryGetProperty("sensitive", out var s) && s.ValueKind == JsonValueKind.True &&
                    output.Value.TryGetProperty("value", out var value))
                {
                    AddAll(value, found);
                }
            }
        }

        if (values.TryGetProperty("root_module", out var root))
        {
            Module(root, found);
        }
    }

    private static void Module(JsonElement module, HashSet<string> found)
    {
        if (module.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (module.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array)
        {
            foreach (var resource in resources.EnumerateArray())
            {
                Add(resource, "values", "sensitive_values", found);
            }
        }

        if (module.TryGetProperty("child_modules", out var children) && children.ValueKind == JsonValueKind.Array)
        {
            foreach (var child in children.EnumerateArray())
            {
                Module(child, found);
            }
        }
    }

    private static void SensitiveVariables(JsonElement plan, HashSet<string> found)
    {
        if (!plan.TryGetProperty("variables", out var variables) || variables.ValueKind != JsonValueKind.Object ||
            !plan.TryGetProperty("configuration", out var configuration) || configuration.ValueKind != JsonValueKind.Object ||
            !configuration.TryGetProperty("root_module", out var root) || root.ValueKind != JsonValueKind.Object ||
            !root.TryGetProperty("variables", out var declared) || declared.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var declaration in declared.EnumerateObject())
        {
            if (declaration.Value.ValueKind == JsonValueKind.Object && declaration.Value.TryGetProperty("sensitive", out var s) && s.ValueKind == JsonValueKind.True &&
                variables.TryGetProperty(declaration.Name, out var variable) && variable.ValueKind == JsonValueKind.Object && variable.TryGetProperty("value", out var value))
            {
                AddAll(value, found);
            }
        }
    }
}
