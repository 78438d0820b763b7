using System.Text.Json;

namespace PlanBot.Core.Plans.Values;

/// <summary>
/// The attribute-level diff of one change (<c>before</c> → <c>after</c>), flattened to one line per
/// changed leaf: <c>+</c> added, <c>-</c> removed, <c>~</c> changed, nested values by path, list
/// elements matched by identity (<c>name</c>, <c>id</c>, <c>key</c>) where every element has a unique
/// one, unknown values as "(known after apply)", sensitive ones as "(sensitive)", long strings as a
/// line diff of their pretty-printed form, attributes forcing a replacement marked.
/// </summary>
public sealed class AttributeDiff
{
    private static readonly string[] IdentityKeys = ["name", "id", "key"];

    private readonly SecretScrubber _scrubber;
    private readonly HashSet<string> _forcing;
    private readonly List<string> _lines = [];
    private int _unchanged;

    private AttributeDiff(SecretScrubber scrubber, HashSet<string> forcing)
    {
        _scrubber = scrubber;
        _forcing = forcing;
    }

    /// <summary>The diff lines of a resource change object (with before, after, after_unknown, *_sensitive, replace_paths).</summary>
    public static IReadOnlyList<string> ForChange(JsonElement change, SecretScrubber scrubber, bool showUnchangedCount)
    {
        var diff = new AttributeDiff(scrubber, ForcingPaths(change));
        diff.Walk("", "", Get(change, "before"), Get(change, "after"), Get(change, "after_unknown"), Get(change, "before_sensitive"), Get(change, "after_sensitive"));
        if (showUnchangedCount && diff._unchanged > 0)
        {
            diff._lines.Add($"  # ({diff._unchanged} unchanged attribute{(diff._unchanged == 1 ? "" : "s")} hidden)");
        }

        return diff._lines;
    }

    /// <summary>The diff lines of one output change, under its name.</summary>
    public static IReadOnlyList<string> ForOutput(string name, JsonElement change, SecretScrubber scrubber)
    {
        var diff = new AttributeDiff(scrubber, []);
        diff.Walk(name, name, Get(change, "before"), Get(change, "after"), Get(change, "after_unknown"), Get(change, "before_sensitive"), Get(change, "after_sensitive"));
        return diff._lines;
    }

    private static JsonElement? Get(JsonElement owner, string name) =>
        owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty(name, out var value) ? value : null;

    private static HashSet<string> ForcingPaths(JsonElement change)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        if (Get(change, "replace_paths") is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var path in list.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.Array))
            {
                var text = "";
                foreach (var step in path.EnumerateArray())
                {
                    text = step.ValueKind == JsonValueKind.Number ? $"{text}[{step.GetRawText()}]" : ValueText.Member(text, step.ToString());
                }

                paths.Add(text);
            }
        }

        return paths;
    }

    private static bool Absent(JsonElement? value) => value is null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined };

    private static bool IsTrue(JsonElement? mask) => mask is { ValueKind: JsonValueKind.True };

    private static JsonElement? Child(JsonElement? mask, string key) => mask switch
    {
        { ValueKind: JsonValueKind.True } => mask,
        { ValueKind: JsonValueKind.Object } m when m.TryGetProperty(key, out var child) => child,
        _ => null,
    };

    /// <summary>A list's masks (after_unknown, *_sensitive) read once, so each element's is found by index, not by walking the JSON.</summary>
    private readonly record struct ListMask(JsonElement? Mask, JsonElement[]? Items)
    {
        public static ListMask Of(JsonElement? mask) => new(mask, mask is { ValueKind: JsonValueKind.Array } m ? [.. m.EnumerateArray()] : null);

        public JsonElement? At(int index) => Mask is { ValueKind: JsonValueKind.True } ? Mask : Items is not null && index < Items.Length ? Items[index] : null;
    }

    private string Forces(string indexPath) =>
        _forcing.Count > 0 && _forcing.Any(p => indexPath == p || indexPath.StartsWith(p + ".", StringComparison.Ordinal) || indexPath.StartsWith(p + "[", StringComparison.Ordinal))
            ? "  # forces replacement"
            : "";

    private void Emit(char op, string path, string text, string indexPath) => _lines.Add($"{op} {path} = {text}{Forces(indexPath)}");

    private string Show(JsonElement? value, JsonElement? sensitive) =>
        IsTrue(sensitive) ? SecretScrubber.Masked : Absent(value) ? "null" : ValueText.Scalar(value!.Value, _scrubber);

    private void Walk(string path, string index, JsonElement? before, JsonElement? after, JsonElement? unknown, JsonElement? beforeSensitive, JsonElement? afterSensitive)
    {
        var afterUnknown = IsTrue(unknown);
        if (Absent(before) && Absent(after) && !afterUnknown)
        {
            return;
        }

        if (IsTrue(beforeSensitive) || IsTrue(afterSensitive))
        {
            Sensitive(path, index, before, after, afterUnknown, beforeSensitive, afterSensitive);
            return;
        }

        if (afterUnknown)
        {
            if (Absent(before))
            {
                Emit('+', path, ValueText.Unknown, index);
            }
            else
            {
                Emit('~', path, $"{(ValueText.IsLong(before!.Value) ? Summary(before.Value) : Show(before, null))} -> {ValueText.Unknown}", index);
            }

            return;
        }

        var b = before?.ValueKind;
        var a = after?.ValueKind;
        if ((Absent(before) || b == JsonValueKind.Object) && (Absent(after) || a == JsonValueKind.Object))
        {
            Object(path, index, before, after, unknown, beforeSensitive, afterSensitive);
        }
        else if ((Absent(before) || b == JsonValueKind.Array) && (Absent(after) || a == JsonValueKind.Array))
        {
            List(path, index, before, after, unknown, beforeSensitive, afterSensitive);
        }
        else
        {
            Scalar(path, index, before, after);
        }
    }

    private void Sensitive(string path, string index, JsonElement? before, JsonElement? after, bool afterUnknown, JsonElement? beforeSensitive, JsonElement? afterSensitive)
    {
        if (!Absent(before) && !Absent(after) && !afterUnknown && IsTrue(beforeSensitive) == IsTrue(afterSensitive) && JsonElement.DeepEquals(before!.Value, after!.Value))
        {
            _unchanged++;
            return;
        }

        var newText = afterUnknown ? ValueText.Unknown : Show(after, afterSensitive);
        if (Absent(before))
        {
            Emit('+', path, newText, index);
        }
        else if (Absent(after) && !afterUnknown)
        {
            Emit('-', path, Show(before, beforeSensitive), index);
        }
        else
        {
            var oldText = Show(before, beforeSensitive);
            Emit('~', path, oldText == SecretScrubber.Masked && newText == SecretScrubber.Masked ? SecretScrubber.Masked : $"{oldText} -> {newText}", index);
        }
    }

    private void Object(string path, string index, JsonElement? before, JsonElement? after, JsonElement? unknown, JsonElement? beforeSensitive, JsonElement? afterSensitive)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var side in (ReadOnlySpan<JsonElement?>)[before, after, unknown])
        {
            if (side is { ValueKind: JsonValueKind.Object } obj)
            {
                foreach (var property in obj.EnumerateObject())
                {
                    keys.Add(property.Name);
                }
            }
        }

        if (keys.Count == 0)
        {
            EmptyContainer(path, index, before, after);
            return;
        }

        foreach (var key in keys)
        {
            Walk(ValueText.Member(path, key), ValueText.Member(index, key), Child(before, key), Child(after, key), Child(unknown, key), Child(beforeSensitive, key), Child(afterSensitive, key));
        }
    }

    private void EmptyContainer(string path, string index, JsonElement? before, JsonElement? after)
    {
        if (Absent(before) == Absent(after))
        {
            _unchanged++;
        }
        else if (Absent(before))
        {
            Emit('+', path, ValueText.Scalar(after!.Value, _scrubber), index);
        }
        else
        {
            Emit('-', path, ValueText.Scalar(before!.Value, _scrubber), index);
        }
    }

    private void List(string path, string index, JsonElement? before, JsonElement? after, JsonElement? unknown, JsonElement? beforeSensitive, JsonElement? afterSensitive)
    {
        JsonElement[] b = Absent(before) ? [] : [.. before!.Value.EnumerateArray()];
        JsonElement[] a = Absent(after) ? [] : [.. after!.Value.EnumerateArray()];
        if (b.Length == 0 && a.Length == 0)
        {
            EmptyContainer(path, index, before, after);
            return;
        }

        var (unknowns, beforeMarks, afterMarks) = (ListMask.Of(unknown), ListMask.Of(beforeSensitive), ListMask.Of(afterSensitive));
        if (FindIdentity(b, a) is { } identity)
        {
            var beforeAt = b.Select((e, i) => (Key: e.GetProperty(identity).ToString(), i)).ToDictionary(x => x.Key, x => x.i, StringComparer.Ordinal);
            var afterKeys = a.Select(e => e.GetProperty(identity).ToString()).ToArray();
            for (var i = 0; i < a.Length; i++)
            {
                var had = beforeAt.Remove(afterKeys[i], out var j);
                Walk($"{path}[{identity}={ValueText.Quote(afterKeys[i])}]", $"{index}[{i}]", had ? b[j] : null, a[i], unknowns.At(i), had ? beforeMarks.At(j) : null, afterMarks.At(i));
            }

            foreach (var (key, j) in beforeAt.OrderBy(kv => kv.Value))
            {
                Walk($"{path}[{identity}={ValueText.Quote(key)}]", $"{index}[{j}]", b[j], null, null, beforeMarks.At(j), null);
            }

            return;
        }

        var plainScalars = b.Concat(a).All(e => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)) &&
                           unknown is not { ValueKind: JsonValueKind.True } && !HasMarks(unknown) && !HasMarks(beforeSensitive) && !HasMarks(afterSensitive);
        if (plainScalars && b.Length != a.Length)
        {
            // Insertions and removals in a list of scalars: match equal elements, as terraform's own renderer does.
            int i = 0, j = 0;
            foreach (var (op, _) in LineDiff.Diff([.. b.Select(e => e.GetRawText())], [.. a.Select(e => e.GetRawText())]))
            {
                switch (op)
                {
                    case ' ': _unchanged++; i++; j++; break;
                    case '-': Emit('-', $"{path}[{i}]", ValueText.Scalar(b[i], _scrubber), $"{index}[{i}]"); i++; break;
                    default: Emit('+', $"{path}[{j}]", ValueText.Scalar(a[j], _scrubber), $"{index}[{j}]"); j++; break;
                }
            }

            return;
        }

        for (var i = 0; i < Math.Max(b.Length, a.Length); i++)
        {
            Walk($"{path}[{i}]", $"{index}[{i}]", i < b.Length ? b[i] : null, i < a.Length ? a[i] : null, unknowns.At(i), beforeMarks.At(i), afterMarks.At(i));
        }
    }

    private static bool HasMarks(JsonElement? mask) => mask switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.Array } m => m.EnumerateArray().Any(e => HasMarks(e)),
        { ValueKind: JsonValueKind.Object } m => m.EnumerateObject().Any(p => HasMarks(p.Value)),
        _ => false,
    };

    /// <summary>The first of name/id/key that every element of both lists has, as a scalar unique within each list.</summary>
    private static string? FindIdentity(JsonElement[] before, JsonElement[] after)
    {
        if (before.Length + after.Length < 2 || before.Concat(after).Any(e => e.ValueKind != JsonValueKind.Object))
        {
            return null;
        }

        foreach (var key in IdentityKeys)
        {
            bool Unique(JsonElement[] list)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                return list.All(e => e.TryGetProperty(key, out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number && seen.Add(id.ToString()));
            }

            if (Unique(before) && Unique(after))
            {
                return key;
            }
        }

        return null;
    }

    private void Scalar(string path, string index, JsonElement? before, JsonElement? after)
    {
        if (!Absent(before) && !Absent(after) && JsonElement.DeepEquals(before!.Value, after!.Value))
        {
            _unchanged++;
            return;
        }

        if ((!Absent(before) && ValueText.IsLong(before!.Value)) || (!Absent(after) && ValueText.IsLong(after!.Value)))
        {
            LongString(path, index, before, after);
            return;
        }

        if (Absent(before))
        {
            Emit('+', path, Show(after, null), index);
        }
        else if (Absent(after))
        {
            Emit('-', path, Show(before, null), index);
        }
        else
        {
            var (oldText, newText) = (Show(before, null), Show(after, null));
            Emit('~', path, oldText == SecretScrubber.Masked && newText == SecretScrubber.Masked ? SecretScrubber.Masked : $"{oldText} -> {newText}", index);
        }
    }

    /// <summary>A long string in one line: what it is and how long, not its text.</summary>
    private static string Summary(JsonElement value)
    {
        var lines = ValueText.Lines(value.GetString()!, out var json);
        return $"({(json ? "JSON" : "text")}, {lines.Length} line{(lines.Length == 1 ? "" : "s")})";
    }

    private void LongString(string path, string index, JsonElement? before, JsonElement? after)
    {
        string[] Lines(JsonElement? value, out bool json)
        {
            json = false;
            return Absent(value) ? [] : value!.Value.ValueKind == JsonValueKind.String ? ValueText.Lines(value.Value.GetString()!, out json) : [Show(value, null)];
        }

        var old = Lines(before, out var oldJson);
        var @new = Lines(after, out var newJson);
        var op = Absent(before) ? '+' : Absent(after) ? '-' : '~';
        var kind = oldJson || newJson ? "JSON" : "text";
        var hunks = op == '~' ? LineDiff.Hunks(old, @new) : (op == '+' ? @new : old).Select(l => (op, l));
        var lines = 0;
        var at = _lines.Count;
        _lines.Add(""); // the header, written once the changed lines are counted
        foreach (var (lineOp, line) in hunks)
        {
            lines += lineOp == ' ' ? 0 : 1;
            _lines.Add($"{lineOp}     {_scrubber.Scrub(line)}");
        }

        _lines[at] = $"{op} {path} = ({kind}, {lines} line{(lines == 1 ? "" : "s")} {(op == '+' ? "added" : op == '-' ? "removed" : "changed")}):{Forces(index)}";
    }
}
