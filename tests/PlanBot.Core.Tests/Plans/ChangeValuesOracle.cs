using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using PlanBot.Core.Plans;

namespace PlanBot.Core.Tests.Plans;

// The canonical text of fingerprint format v2 as the string-based walker of the third pass wrote it
// (issue 19), kept verbatim as the oracle of ChangeValuesOracleTests: the UTF-8 walker that replaced
// it must write the same text, byte for byte, or every stored approval would stop matching.
/// <summary>
/// The canonical text of a change's values, fingerprint format v2: one line per leaf,
/// <c>before.tags["Name"] = "web"</c>, object keys in ordinal order (so key order never matters),
/// list elements in their order (it is meaningful), numbers normalised (<c>1.50</c> = <c>1.5</c>),
/// strings quoted and escaped, empty collections as <c>{}</c> / <c>[]</c>. A value terraform marks
/// unknown (<c>after_unknown</c>) is <c>(unknown)</c>, never confused with <c>null</c> or a string;
/// one it marks sensitive (<c>before_sensitive</c>/<c>after_sensitive</c>) is <c>(sensitive)</c> in
/// the text and contributes only a salted hash of its own canonical text. <c>importing</c> (the
/// imported ID) counts too: importing another object is another plan.
/// </summary>
internal static class ChangeValuesOracle
{
    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement;

    /// <summary>The digest of a <c>change</c> object (as in <c>resource_changes[].change</c> or <c>output_changes.*</c>).</summary>
    /// <exception cref="JsonException">An object in the values repeats a key: which value counts would be ambiguous.</exception>
    public static ValueContent Digest(JsonElement change)
    {
        // One walker per thread, reused: a 10,000-change plan digests 10,000 changes (issue 19).
        var walker = cached ?? new Walker(hashing: true);
        cached = null;
        try
        {
            walker.Change(change);
            return new ValueContent(walker.Finish(), walker.Sensitive ?? (IReadOnlyList<byte[]>)[]);
        }
        finally
        {
            walker.Reset();
            cached = walker;
        }
    }

    [ThreadStatic]
    private static Walker? cached;

    /// <summary>The canonical lines of a <c>change</c> object, sensitive values shown as <c>(sensitive)</c>: what differs between two plans, attribute by attribute.</summary>
    /// <exception cref="JsonException">An object in the values repeats a key.</exception>
    public static IReadOnlyList<string> Lines(JsonElement change)
    {
        var walker = new Walker(hashing: false);
        walker.Change(change);
        return walker.Text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private sealed class Walker(bool hashing)
    {
        private readonly StringBuilder path = new();

        public StringBuilder Text { get; } = new();

        public List<byte[]>? Sensitive { get; private set; }

        /// <summary>Ready for the next change; buffers that grew on a huge value are not kept.</summary>
        public void Reset()
        {
            path.Clear();
            Sensitive = null;
            Text.Clear();
            if (Text.Capacity > 1 << 16)
            {
                Text.Capacity = 1 << 12;
            }
        }

        public void Change(JsonElement change)
        {
            if (change.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            Part(change, "before", unknown: null, "before_sensitive");
            Part(change, "after", "after_unknown", "after_sensitive");
            if (change.TryGetProperty("importing", out var importing))
            {
                path.Clear().Append("importing");
                Walk(importing, default, default);
            }
        }

        public byte[] Finish()
        {
            var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(Text.Length));
            try
            {
                var written = 0;
                foreach (var chunk in Text.GetChunks())
                {
                    written += Encoding.UTF8.GetBytes(chunk.Span, buffer.AsSpan(written));
                }

                return SHA256.HashData(buffer.AsSpan(0, written));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>before / after; absent (old formats, deletes) reads as null.</summary>
        private void Part(JsonElement change, string label, string? unknown, string sensitive)
        {
            var value = Get(change, label);
            path.Clear().Append(label);
            Walk(value.ValueKind == JsonValueKind.Undefined ? Null : value, unknown is null ? default : Get(change, unknown), Get(change, sensitive));
        }

        private static JsonElement Get(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) ? value : default;

        private void Walk(JsonElement value, JsonElement unknown, JsonElement sensitive)
        {
            if (unknown.ValueKind == JsonValueKind.True)
            {
                Leaf("(unknown)");
                return;
            }

            if (sensitive.ValueKind == JsonValueKind.True)
            {
                if (hashing)
                {
                    // the value's own canonical text (unknown parts kept), hashed; only its salted hash reaches the fingerprint
                    var inner = new Walker(hashing: true);
                    inner.path.Append('$');
                    inner.Walk(value, unknown, default);
                    (Sensitive ??= []).Add(inner.Finish());
                }

                Leaf("(sensitive)");
                return;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    Object(value, unknown, sensitive);
                    break;
                case JsonValueKind.Array:
                    Array(value, unknown, sensitive);
                    break;
                case JsonValueKind.String:
                    Text.Append(path).Append(" = ");
                    AppendString(value);
                    Text.Append('\n');
                    break;
                case JsonValueKind.Number:
                    Leaf(Number(value));
                    break;
                case JsonValueKind.True:
                    Leaf("true");
                    break;
                case JsonValueKind.False:
                    Leaf("false");
                    break;
                case JsonValueKind.Null:
                    Leaf("null");
                    break;
                default:
                    break; // undefined: an element only the unknown marks list, and not marked unknown
            }
        }

        private void Object(JsonElement value, JsonElement unknown, JsonElement sensitive)
        {
            // The value's members read once with their elements (looking each key up again walks the object).
            var members = new List<KeyValuePair<string, JsonElement>>();
            foreach (var property in value.EnumerateObject())
            {
                members.Add(new(Name(property), property.Value));
            }

            members.Sort(ByKey);
            for (var i = 1; i < members.Count; i++)
            {
                if (members[i].Key == members[i - 1].Key)
                {
                    throw new JsonException($"the key \"{members[i].Key}\" appears twice in {path}; the plan JSON is damaged, regenerate it with `terraform show -json`");
                }
            }

            var unknownObject = unknown.ValueKind == JsonValueKind.Object;
            if (unknownObject)
            {
                var known = members.Count;
                foreach (var property in unknown.EnumerateObject())
                {
                    if (Find(members, known, property.Name) < 0)
                    {
                        members.Add(new(property.Name, default)); // unknown, and absent from the value
                    }
                }

                if (members.Count > known)
                {
                    members.Sort(ByKey);
                }
            }

            if (members.Count == 0)
            {
                Leaf("{}");
                return;
            }

            var sensitiveObject = sensitive.ValueKind == JsonValueKind.Object;
            var length = path.Length;
            foreach (var (key, child) in members)
            {
                AppendKey(key);
                Walk(child, unknownObject ? Get(unknown, key) : default, sensitiveObject ? Get(sensitive, key) : default);
                path.Length = length;
            }
        }

        /// <summary>
        /// A property's name; a short unescaped one is looked up among the names seen before instead of
        /// decoded into a new string (a plan repeats the same attribute names in every resource).
        /// </summary>
        private string Name(JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.Length > 1 && raw[0] == (byte)'"' && raw[^1] == (byte)'"')
            {
                raw = raw[1..^1]; // with its quotes (an unescaped name cannot hold one)
            }

            if (raw.Length > ShortName || raw.Contains((byte)'\\') || !Utf8.IsValid(raw))
            {
                return property.Name;
            }

            Span<char> chars = stackalloc char[ShortName];
            var text = chars[..Encoding.UTF8.GetChars(raw, chars)];
            if (names.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var known))
            {
                return known;
            }

            var name = new string(text);
            if (names.Count < MaxNames)
            {
                names.Add(name);
            }

            return name;
        }

        private const int ShortName = 64;

        private const int MaxNames = 4096;

        private readonly HashSet<string> names = new(StringComparer.Ordinal);

        private static readonly Comparison<KeyValuePair<string, JsonElement>> ByKey = (a, b) => string.CompareOrdinal(a.Key, b.Key);

        /// <summary>Binary search of the first <paramref name="count"/> (sorted) members.</summary>
        private static int Find(List<KeyValuePair<string, JsonElement>> members, int count, string key)
        {
            int low = 0, high = count - 1;
            while (low <= high)
            {
                var mid = low + ((high - low) >> 1);
                var order = string.CompareOrdinal(members[mid].Key, key);
                if (order == 0)
                {
                    return mid;
                }

                if (order < 0)
                {
                    low = mid + 1;
                }
                else
                {
                    high = mid - 1;
                }
            }

            return -1;
        }

        private void Array(JsonElement value, JsonElement unknown, JsonElement sensitive)
        {
            var count = value.GetArrayLength();
            var marks = unknown.ValueKind == JsonValueKind.Array ? unknown.GetArrayLength() : 0;
            var sensitiveMarks = sensitive.ValueKind == JsonValueKind.Array ? sensitive.GetArrayLength() : 0;
            var total = Math.Max(count, marks);
            if (total == 0)
            {
                Leaf("[]");
                return;
            }

            // Enumerated side by side: indexing a JSON array of objects walks it from the start every time.
            var length = path.Length;
            var values = count > 0 ? value.EnumerateArray() : default;
            var unknowns = marks > 0 ? unknown.EnumerateArray() : default;
            var sensitives = sensitiveMarks > 0 ? sensitive.EnumerateArray() : default;
            for (var i = 0; i < total; i++)
            {
                path.Append('[').Append(i.ToString(CultureInfo.InvariantCulture)).Append(']');
                Walk(Next(ref values, i < count), Next(ref unknowns, i < marks), Next(ref sensitives, i < sensitiveMarks));
                path.Length = length;
            }
        }

        private static JsonElement Next(ref JsonElement.ArrayEnumerator items, bool has) =>
            has && items.MoveNext() ? items.Current : default;

        private void AppendKey(string key)
        {
            if (IsIdentifier(key))
            {
                path.Append('.').Append(key);
            }
            else
            {
                AppendQuoted(path.Append('['), key).Append(']');
            }
        }

        private void Leaf(string text) => Text.Append(path).Append(" = ").Append(text).Append('\n');

        private static bool IsIdentifier(string key)
        {
            if (key.Length == 0 || !(char.IsAsciiLetter(key[0]) || key[0] == '_'))
            {
                return false;
            }

            foreach (var c in key)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// A string value quoted: a short one without escapes is decoded from its bytes in the plan,
        /// without a string per value (the same text: valid UTF-8 decodes as GetString decodes it).
        /// </summary>
        private void AppendString(JsonElement value)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value);
            raw = raw[1..^1]; // the quotes
            if (raw.Length <= ShortString && !raw.Contains((byte)'\\') && Utf8.IsValid(raw))
            {
                Span<char> chars = stackalloc char[ShortString];
                AppendQuoted(Text, chars[..Encoding.UTF8.GetChars(raw, chars)]);
            }
            else
            {
                AppendQuoted(Text, value.GetString()!);
            }
        }

        private const int ShortString = 256;

        /// <summary>The text quoted and escaped, appended in place (no string per value).</summary>
        private static StringBuilder AppendQuoted(StringBuilder sb, ReadOnlySpan<char> text)
        {
            sb.Append('"');
            var start = 0;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c is not ('"' or '\\' or '\n' or < ' ' or '\u007f' or '\u2028' or '\u2029'))
                {
                    continue;
                }

                sb.Append(text[start..i]);
                start = i + 1;
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    default: sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                }
            }

            return sb.Append(text[start..]).Append('"');
        }

        /// <summary>
        /// Numbers by value, exactly (terraform's numbers are arbitrary-precision): 1.50, 1.5 and
        /// 15e-1 are one number, written as plain decimals unless more than 20 zeros would be needed.
        /// </summary>
        private static string Number(JsonElement value)
        {
            var raw = value.GetRawText();
            var text = raw.AsSpan();
            var negative = text.StartsWith("-");
            text = negative ? text[1..] : text;
            var e = text.IndexOfAny('e', 'E');
            long exponent = 0;
            if (e >= 0)
            {
                if (!long.TryParse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent) || Math.Abs(exponent) > 1_000_000)
                {
                    return raw;
                }

                text = text[..e];
            }

            var dot = text.IndexOf('.');
            var digits = dot < 0 ? text.ToString() : string.Concat(text[..dot], text[(dot + 1)..]);
            exponent -= dot < 0 ? 0 : text.Length - dot - 1;
            digits = digits.TrimStart('0');
            if (digits.Length == 0)
            {
                return "0";
            }

            var trimmed = digits.TrimEnd('0');
            exponent += digits.Length - trimmed.Length;
            var sign = negative ? "-" : "";
            if (exponent >= 0)
            {
                return exponent <= 20 ? sign + trimmed + new string('0', (int)exponent) : $"{sign}{trimmed}e{exponent}";
            }

            var fraction = -exponent;
            if (fraction < trimmed.Length)
            {
                return $"{sign}{trimmed[..^(int)fraction]}.{trimmed[^(int)fraction..]}";
            }

            return fraction - trimmed.Length <= 20 ? $"{sign}0.{new string('0', (int)(fraction - trimmed.Length))}{trimmed}" : $"{sign}{trimmed}e{exponent}";
        }
    }
}
