using System.Text.Json;

namespace PlanBot.Core.Plans;

/// <summary>
/// A plan's content attribute by attribute: for every resource change (keyed by address, plus
/// <c>deposed KEY</c>) and output change (<c>output.NAME</c>), its actions and the canonical lines of
/// its values (<see cref="ChangeValues.Lines"/>, sensitive values shown as <c>(sensitive)</c>). Kept
/// with the stored plan so that a merge whose plan differs from the approved one can say which
/// resource and which attribute differ, not only that the fingerprint changed.
/// </summary>
public static class PlanValues
{
    private const string ActionsLine = "actions = ";
    private static readonly string[] Prefixes = ["before.", "after.", "importing."];

    /// <summary>The changes of a <c>terraform show -json</c> document; no-op and read changes are left out (they apply nothing).</summary>
    /// <exception cref="JsonException">Not a plan document, or its values repeat a key.</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Read(JsonDocument plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var result = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var root = plan.RootElement;
        if (root.TryGetProperty("resource_changes", out var resources) && resources.ValueKind == JsonValueKind.Array)
        {
            foreach (var resource in resources.EnumerateArray())
            {
                if (!resource.TryGetProperty("change", out var change) || Actions(change) is not { } actions)
                {
                    continue;
                }

                var address = resource.TryGetProperty("address", out var a) ? a.GetString() ?? "?" : "?";
                var key = resource.TryGetProperty("deposed", out var d) && d.ValueKind == JsonValueKind.String ? PlanDetails.Key(address, d.GetString()) : address;
                result[key] = [ActionsLine + actions, .. ChangeValues.Lines(change)];
            }
        }

        if (root.TryGetProperty("output_changes", out var outputs) && outputs.ValueKind == JsonValueKind.Object)
        {
            foreach (var output in outputs.EnumerateObject())
            {
                if (Actions(output.Value) is { } actions)
                {
                    result["output." + output.Name] = [ActionsLine + actions, .. ChangeValues.Lines(output.Value)];
                }
            }
        }

        return result;
    }

    /// <summary>Reads <see cref="Read(JsonDocument)"/> from a plan JSON file.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            using var document = await JsonDocument.ParseAsync(stream, new JsonDocumentOptions { MaxDepth = 256 }, cancellationToken).ConfigureAwait(false);
            return Read(document);
        }
    }

    /// <summary>
    /// What differs between the approved plan and a new one: one line per resource, naming the
    /// attributes whose values (or the actions) differ; paths only, never values (they may be
    /// secrets a mask would hide in the comment). At most <paramref name="max"/> lines.
    /// </summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, IReadOnlyList<string>> approved, IReadOnlyDictionary<string, IReadOnlyList<string>> now, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(approved);
        ArgumentNullException.ThrowIfNull(now);
        var lines = new List<string>();
        foreach (var key in approved.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
        {
            string? line = (approved.TryGetValue(key, out var before), now.TryGetValue(key, out var after)) switch
            {
                (true, false) => $"{key}: in the approved plan, not in the new one",
                (false, true) => $"{key}: new ({Action(after!)}), not in the approved plan",
                _ => Attributes(before!, after!) is { Count: > 0 } attributes ? $"{key}: {string.Join(", ", attributes)}" : null,
            };
            if (line is not null)
            {
                lines.Add(line);
            }
        }

        return lines.Count <= max ? lines : [.. lines.Take(max), $"… and {lines.Count - max} more"];
    }

    /// <summary>The attribute paths whose lines differ (<c>before.x</c>/<c>after.x</c> both named <c>x</c>), and <c>actions</c> when those differ.</summary>
    private static List<string> Attributes(IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        var differing = new HashSet<string>(before, StringComparer.Ordinal);
        differing.SymmetricExceptWith(after);
        var changed = new SortedSet<string>(differing.Select(PathOf), StringComparer.Ordinal);

        var result = changed.Take(6).ToList();
        if (changed.Count > 6)
        {
            result.Add($"… {changed.Count - 6} more");
        }

        return result;
    }

    /// <summary><c>after.tags["Name"] = "web"</c> → <c>tags["Name"]</c>; <c>actions = …</c> → <c>actions</c>; an output's <c>after = …</c> → <c>value</c>.</summary>
    private static string PathOf(string line)
    {
        var equals = line.IndexOf(" = ", StringComparison.Ordinal);
        var path = equals < 0 ? line : line[..equals];
        if (path is "before" or "after")
        {
            return "value"; // an output's (or a resource's whole) value
        }

        foreach (var prefix in Prefixes)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal))
            {
                return path[prefix.Length..];
            }
        }

        return path;
    }

    private static string Action(IReadOnlyList<string> lines) =>
        lines.Count > 0 && lines[0].StartsWith(ActionsLine, StringComparison.Ordinal) ? lines[0][ActionsLine.Length..] : "?";

    /// <summary>The actions of a change as one word list (<c>delete,create</c>); null for no-op and read.</summary>
    private static string? Actions(JsonElement change)
    {
        if (!change.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var list = actions.EnumerateArray().Select(a => a.GetString() ?? "").ToArray();
        return list is ["no-op"] or ["read"] or [] ? null : string.Join(',', list);
    }
}
