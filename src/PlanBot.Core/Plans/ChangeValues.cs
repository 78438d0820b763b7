using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PlanBot.Core.Plans;

/// <summary>
/// The values of one change (a resource's or an output's <c>change</c> object) reduced to a digest:
/// SHA-256 of their canonical text (see <see cref="ChangeValues"/>) and, in text order, the SHA-256
/// of each sensitive value. The sensitive digests only live in memory until <see cref="Seal"/>
/// keys them with the repository's salt.
/// </summary>
public sealed record ValueContent(byte[] Digest, IReadOnlyList<byte[]> Sensitive)
{
    /// <summary>A change without values (plan formats that omit them, or a hand-built change).</summary>
    public static ValueContent Empty { get; } = new(SHA256.HashData([]), []);

    /// <summary>The change's digest as the fingerprint holds it: lowercase hex, sensitive values keyed by <paramref name="salt"/>.</summary>
    public string Seal(FingerprintSalt salt)
    {
        if (Sensitive.Count == 0)
        {
            return Convert.ToHexStringLower(Digest);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Digest);
        foreach (var value in Sensitive)
        {
            hash.AppendData(salt.Hash(value));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

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
public static class ChangeValues
{
    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement;

    /// <summary>The digest of a <c>change</c> object (as in <c>resource_changes[].change</c> or <c>output_changes.*</c>).</summary>
    /// <exception cref="JsonException">An object in the values repeats a key: which value counts would be ambiguous.</exception>
    public static ValueContent Digest(JsonElement change)
    {
        var walker = new Walker(hashing: true);
        walker.Change(change);
        return new ValueContent(walker.Finish(), walker.Sensitive ?? (IReadOnlyList<byte[]>)[]);
    }

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
                    Leaf(Quote(value.GetString()!));
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
            var keys = new List<string>();
            foreach (var property in value.EnumerateObject())
            {
                keys.Add(property.Name);
            }

            keys.Sort(StringComparer.Ordinal);
            for (var i = 1; i < keys.Count; i++)
            {
                if (keys[i] == keys[i - 1])
                {
                    throw new JsonException($"the key \"{keys[i]}\" appears twice in {path}; the plan JSON is damaged, regenerate it with `terraform show -json`");
                }
            }

            if (unknown.ValueKind == JsonValueKind.Object)
            {
                var known = keys.Count;
                foreach (var property in unknown.EnumerateObject())
                {
                    if (keys.BinarySearch(0, known, property.Name, StringComparer.Ordinal) < 0)
                    {
                        keys.Add(property.Name); // unknown, and absent from the value
                    }
                }

                if (keys.Count > known)
                {
                    keys.Sort(StringComparer.Ordinal);
                }
            }

            if (keys.Count == 0)
            {
                Leaf("{}");
                return;
            }

            var length = path.Length;
            foreach (var key in keys)
            {
                AppendKey(key);
                Walk(Get(value, key), unknown.ValueKind == JsonValueKind.Object ? Get(unknown, key) : default, sensitive.ValueKind == JsonValueKind.Object ? Get(sensitive, key) : default);
                path.Length = length;
            }
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

            var length = path.Length;
            for (var i = 0; i < total; i++)
            {
                path.Append('[').Append(i.ToString(CultureInfo.InvariantCulture)).Append(']');
                Walk(i < count ? value[i] : default, i < marks ? unknown[i] : default, i < sensitiveMarks ? sensitive[i] : default);
                path.Length = length;
            }
        }

        private void AppendKey(string key)
        {
            if (IsIdentifier(key))
            {
                path.Append('.').Append(key);
            }
            else
            {
                path.Append('[').Append(Quote(key)).Append(']');
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

        private static string Quote(string text)
        {
            var sb = new StringBuilder(text.Length + 2).Append('"');
            foreach (var c in text)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case < ' ' or '\u007f' or '\u2028' or '\u2029': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                    default: sb.Append(c); break;
                }
            }

            return sb.Append('"').ToString();
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
