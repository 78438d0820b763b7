using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
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

        // SHA-256 of the digest followed by each sensitive value's keyed hash, in one call (no hash object per change)
        var size = Digest.Length + (Sensitive.Count * FingerprintSalt.HashSize);
        var buffer = size <= 1024 ? stackalloc byte[size] : new byte[size];
        Digest.CopyTo(buffer);
        var at = Digest.Length;
        foreach (var value in Sensitive)
        {
            at += salt.Hash(value, buffer[at..]);
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer));
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
        // One walker per thread, reused: a 10,000-change plan digests 10,000 changes (issue 19).
        var walker = cached ?? new Walker();
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
        var walker = new Walker { Hashing = false };
        walker.Change(change);
        return walker.Text().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// Writes the canonical text as UTF-8 into one reused buffer, hashed once at the end (issue 19):
    /// no string per value or key. Names and strings are copied from the plan's bytes; only a name
    /// that is escaped or not ASCII, and a string that is not valid UTF-8 or holds an escape this
    /// walker does not decode, go through <see cref="JsonElement.GetString"/>, which gives the same
    /// text (and raises the same errors on a string that is not text).
    /// </summary>
    private sealed class Walker
    {
        // ASCII only: a set with a non-ASCII byte is searched without the vectorized ASCII path (U+2028/U+2029: Separator)
        private static readonly SearchValues<byte> Special = SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\', 0x7f]);

        private readonly ByteText text = new();
        private readonly ByteText path = new();
        private readonly ByteText names = new(); // the keys of the objects being walked, one after the other
        private readonly ByteText scratch = new(); // a string's unescaped bytes
        private Member[] members = new Member[64];
        private int top;
        private Walker? inner;

        private struct Member
        {
            public JsonElement Value;
            public int NameStart;
            public int NameLength;
            public string? Name; // the key as decoded, when the object's keys are not all plain ASCII
        }

        /// <summary>Whether sensitive values are hashed (the digest) or only shown as <c>(sensitive)</c> (the lines).</summary>
        public bool Hashing { get; init; } = true;

        public List<byte[]>? Sensitive { get; private set; }

        /// <summary>Ready for the next change; buffers that grew on a huge value are not kept.</summary>
        public void Reset()
        {
            text.Reset();
            path.Reset();
            names.Reset();
            scratch.Reset();
            Sensitive = null;
            top = 0;
            if (members.Length > 4096)
            {
                members = new Member[64];
            }
        }

        public void Change(JsonElement change)
        {
            if (change.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            Part(change, "before"u8, default, "before_sensitive"u8);
            Part(change, "after"u8, "after_unknown"u8, "after_sensitive"u8);
            if (change.TryGetProperty("importing"u8, out var importing))
            {
                path.Clear();
                path.Append("importing"u8);
                Walk(importing, default, default);
            }
        }

        public byte[] Finish() => SHA256.HashData(text.Span);

        public string Text() => Encoding.UTF8.GetString(text.Span);

        /// <summary>before / after; absent (old formats, deletes) reads as null.</summary>
        private void Part(JsonElement change, ReadOnlySpan<byte> label, ReadOnlySpan<byte> unknown, ReadOnlySpan<byte> sensitive)
        {
            var value = Get(change, label);
            path.Clear();
            path.Append(label);
            Walk(value.ValueKind == JsonValueKind.Undefined ? Null : value, unknown.IsEmpty ? default : Get(change, unknown), Get(change, sensitive));
        }

        private static JsonElement Get(JsonElement obj, ReadOnlySpan<byte> name) => obj.TryGetProperty(name, out var value) ? value : default;

        private static JsonElement Get(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) ? value : default;

        private void Walk(JsonElement value, JsonElement unknown, JsonElement sensitive)
        {
            if (unknown.ValueKind == JsonValueKind.True)
            {
                Leaf("(unknown)"u8);
                return;
            }

            if (sensitive.ValueKind == JsonValueKind.True)
            {
                if (Hashing)
                {
                    // the value's own canonical text (unknown parts kept), hashed; only its salted hash reaches the fingerprint
                    inner ??= new Walker();
                    inner.path.Append("$"u8);
                    try
                    {
                        inner.Walk(value, unknown, default);
                        (Sensitive ??= []).Add(inner.Finish());
                    }
                    finally
                    {
                        inner.Reset();
                    }
                }

                Leaf("(sensitive)"u8);
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
                    text.Append(path.Span);
                    text.Append(" = "u8);
                    AppendString(value);
                    text.Append((byte)'\n');
                    break;
                case JsonValueKind.Number:
                    text.Append(path.Span);
                    text.Append(" = "u8);
                    AppendNumber(JsonMarshal.GetRawUtf8Value(value));
                    text.Append((byte)'\n');
                    break;
                case JsonValueKind.True:
                    Leaf("true"u8);
                    break;
                case JsonValueKind.False:
                    Leaf("false"u8);
                    break;
                case JsonValueKind.Null:
                    Leaf("null"u8);
                    break;
                default:
                    break; // undefined: an element only the unknown marks list, and not marked unknown
            }
        }

        private void Object(JsonElement value, JsonElement unknown, JsonElement sensitive)
        {
            // The value's members read once with their elements (looking each key up again walks the
            // object), their names copied as bytes: keys that are plain ASCII sort by their bytes as
            // they sort as strings. An object with any other key is sorted by its decoded keys.
            var unknownObject = unknown.ValueKind == JsonValueKind.Object;
            var plain = Plain(value) && (!unknownObject || Plain(unknown));
            var start = top;
            var namesStart = names.Length;
            foreach (var property in value.EnumerateObject())
            {
                Push(property, property.Value, plain);
            }

            var known = top - start;
            Sort(start, known, plain);
            for (var i = start + 1; i < start + known; i++)
            {
                if (Compare(members[i], members[i - 1], plain) == 0)
                {
                    throw new JsonException($"the key \"{(plain ? Encoding.UTF8.GetString(NameOf(members[i])) : members[i].Name)}\" appears twice in {Encoding.UTF8.GetString(path.Span)}; the plan JSON is damaged, regenerate it with `terraform show -json`");
                }
            }

            if (unknownObject)
            {
                foreach (var property in unknown.EnumerateObject())
                {
                    var probe = Push(property, default, plain);
                    top--;
                    if (Find(start, known, probe, plain) < 0)
                    {
                        top++; // unknown, and absent from the value
                    }
                    else if (plain)
                    {
                        names.Length -= probe.NameLength;
                    }
                }

                if (top - start > known)
                {
                    Sort(start, top - start, plain);
                }
            }

            if (top == start)
            {
                Leaf("{}"u8);
                return;
            }

            var sensitiveObject = sensitive.ValueKind == JsonValueKind.Object;
            var length = path.Length;
            var end = top;
            for (var i = start; i < end; i++)
            {
                var member = members[i];
                if (plain)
                {
                    var name = NameOf(member);
                    AppendKey(name);
                    Walk(member.Value, unknownObject ? Get(unknown, name) : default, sensitiveObject ? Get(sensitive, name) : default);
                }
                else
                {
                    AppendKey(member.Name!);
                    Walk(member.Value, unknownObject ? Get(unknown, member.Name!) : default, sensitiveObject ? Get(sensitive, member.Name!) : default);
                }

                path.Length = length;
            }

            top = start;
            names.Length = namesStart;
        }

        /// <summary>Whether every key of the object is unescaped ASCII (so its bytes are its text).</summary>
        private static bool Plain(JsonElement obj)
        {
            foreach (var property in obj.EnumerateObject())
            {
                var raw = Unquoted(JsonMarshal.GetRawUtf8PropertyName(property));
                if (!System.Text.Ascii.IsValid(raw) || raw.Contains((byte)'\\'))
                {
                    return false;
                }
            }

            return true;
        }

        private static ReadOnlySpan<byte> Unquoted(ReadOnlySpan<byte> raw) =>
            raw.Length > 1 && raw[0] == (byte)'"' && raw[^1] == (byte)'"' ? raw[1..^1] : raw;

        private Member Push(JsonProperty property, JsonElement value, bool plain)
        {
            if (top == members.Length)
            {
                System.Array.Resize(ref members, members.Length * 2);
            }

            var member = new Member { Value = value };
            if (plain)
            {
                var raw = Unquoted(JsonMarshal.GetRawUtf8PropertyName(property));
                member.NameStart = names.Length;
                member.NameLength = raw.Length;
                names.Append(raw);
            }
            else
            {
                member.Name = property.Name;
            }

            members[top++] = member;
            return member;
        }

        private ReadOnlySpan<byte> NameOf(Member member) => names.Span.Slice(member.NameStart, member.NameLength);

        private int Compare(Member a, Member b, bool plain) =>
            plain ? NameOf(a).SequenceCompareTo(NameOf(b)) : string.CompareOrdinal(a.Name, b.Name);

        private void Sort(int start, int count, bool plain)
        {
            // insertion sort: objects are small and often sorted already; a big one falls back to Array.Sort
            if (count > 32)
            {
                var keys = members.AsSpan(start, count);
                if (plain)
                {
                    var buffer = names.Buffer;
                    keys.Sort((a, b) => buffer.AsSpan(a.NameStart, a.NameLength).SequenceCompareTo(buffer.AsSpan(b.NameStart, b.NameLength)));
                }
                else
                {
                    keys.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                }

                return;
            }

            for (var i = start + 1; i < start + count; i++)
            {
                var item = members[i];
                var j = i - 1;
                while (j >= start && Compare(members[j], item, plain) > 0)
                {
                    members[j + 1] = members[j];
                    j--;
                }

                members[j + 1] = item;
            }
        }

        /// <summary>Binary search of the first <paramref name="count"/> (sorted) members from <paramref name="start"/>.</summary>
        private int Find(int start, int count, Member key, bool plain)
        {
            int low = start, high = start + count - 1;
            while (low <= high)
            {
                var mid = low + ((high - low) >> 1);
                var order = Compare(members[mid], key, plain);
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
                Leaf("[]"u8);
                return;
            }

            // Enumerated side by side: indexing a JSON array of objects walks it from the start every time.
            var length = path.Length;
            var values = count > 0 ? value.EnumerateArray() : default;
            var unknowns = marks > 0 ? unknown.EnumerateArray() : default;
            var sensitives = sensitiveMarks > 0 ? sensitive.EnumerateArray() : default;
            for (var i = 0; i < total; i++)
            {
                path.Append((byte)'[');
                path.Append(i);
                path.Append((byte)']');
                Walk(Next(ref values, i < count), Next(ref unknowns, i < marks), Next(ref sensitives, i < sensitiveMarks));
                path.Length = length;
            }
        }

        private static JsonElement Next(ref JsonElement.ArrayEnumerator items, bool has) =>
            has && items.MoveNext() ? items.Current : default;

        private void AppendKey(ReadOnlySpan<byte> key)
        {
            if (IsIdentifier(key))
            {
                path.Append((byte)'.');
                path.Append(key);
            }
            else
            {
                path.Append((byte)'[');
                AppendQuoted(path, key);
                path.Append((byte)']');
            }
        }

        private void AppendKey(string key)
        {
            var length = Encoding.UTF8.GetByteCount(key);
            var start = scratch.Length;
            Encoding.UTF8.GetBytes(key, scratch.Grow(length));
            AppendKey(scratch.Span.Slice(start, length));
            scratch.Length = start;
        }

        private void Leaf(ReadOnlySpan<byte> value)
        {
            text.Append(path.Span);
            text.Append(" = "u8);
            text.Append(value);
            text.Append((byte)'\n');
        }

        /// <summary>A name written as <c>.name</c>: an ASCII letter or <c>_</c>, then letters, digits, <c>_</c> and <c>-</c> (bytes of other names are never all ASCII letters).</summary>
        private static bool IsIdentifier(ReadOnlySpan<byte> key)
        {
            if (key.Length == 0 || !(char.IsAsciiLetter((char)key[0]) || key[0] == (byte)'_'))
            {
                return false;
            }

            foreach (var c in key)
            {
                if (!(char.IsAsciiLetterOrDigit((char)c) || c is (byte)'_' or (byte)'-'))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// A string value quoted and escaped, from its bytes in the plan. An escaped one is decoded
        /// here (the JSON escapes and UTF-16 surrogate pairs); one that is not valid UTF-8 or holds a
        /// lone surrogate escape goes through <see cref="JsonElement.GetString"/>, which refuses it
        /// exactly as before.
        /// </summary>
        private void AppendString(JsonElement value)
        {
            var raw = Unquoted(JsonMarshal.GetRawUtf8Value(value));
            if (raw.IndexOf((byte)'\\') < 0)
            {
                if (Utf8.IsValid(raw))
                {
                    AppendQuoted(text, raw);
                    return;
                }
            }
            else
            {
                var start = scratch.Length;
                if (Unescape(raw, scratch) && Utf8.IsValid(scratch.Span[start..]))
                {
                    AppendQuoted(text, scratch.Span[start..]);
                    scratch.Length = start;
                    return;
                }

                scratch.Length = start;
            }

            var decoded = value.GetString()!; // throws on text that is not text, as it always did
            var length = Encoding.UTF8.GetByteCount(decoded);
            var at = scratch.Length;
            Encoding.UTF8.GetBytes(decoded, scratch.Grow(length));
            AppendQuoted(text, scratch.Span.Slice(at, length));
            scratch.Length = at;
        }

        /// <summary>Decodes a JSON string's escapes into <paramref name="into"/>; false on a lone surrogate (left to GetString to refuse).</summary>
        private static bool Unescape(ReadOnlySpan<byte> raw, ByteText into)
        {
            var i = 0;
            while (i < raw.Length)
            {
                var backslash = raw[i..].IndexOf((byte)'\\');
                if (backslash < 0)
                {
                    into.Append(raw[i..]);
                    return true;
                }

                into.Append(raw.Slice(i, backslash));
                i += backslash;
                if (i + 1 >= raw.Length)
                {
                    return false;
                }

                var escaped = raw[i + 1];
                i += 2;
                switch (escaped)
                {
                    case (byte)'"': into.Append((byte)'"'); break;
                    case (byte)'\\': into.Append((byte)'\\'); break;
                    case (byte)'/': into.Append((byte)'/'); break;
                    case (byte)'b': into.Append((byte)'\b'); break;
                    case (byte)'f': into.Append((byte)'\f'); break;
                    case (byte)'n': into.Append((byte)'\n'); break;
                    case (byte)'r': into.Append((byte)'\r'); break;
                    case (byte)'t': into.Append((byte)'\t'); break;
                    case (byte)'u':
                        if (!Hex4(raw, i, out var unit))
                        {
                            return false;
                        }

                        i += 4;
                        int scalar = unit;
                        if (char.IsHighSurrogate((char)unit))
                        {
                            if (i + 6 > raw.Length || raw[i] != (byte)'\\' || raw[i + 1] != (byte)'u' || !Hex4(raw, i + 2, out var low) || !char.IsLowSurrogate((char)low))
                            {
                                return false;
                            }

                            i += 6;
                            scalar = char.ConvertToUtf32((char)unit, (char)low);
                        }
                        else if (char.IsLowSurrogate((char)unit))
                        {
                            return false;
                        }

                        new Rune(scalar).EncodeToUtf8(into.Grow(4)[..4]);
                        into.Length -= 4 - new Rune(scalar).Utf8SequenceLength;
                        break;
                    default:
                        return false;
                }
            }

            return true;
        }

        private static bool Hex4(ReadOnlySpan<byte> raw, int at, out int value)
        {
            value = 0;
            if (at + 4 > raw.Length)
            {
                return false;
            }

            for (var k = at; k < at + 4; k++)
            {
                var digit = HexConverter(raw[k]);
                if (digit < 0)
                {
                    return false;
                }

                value = (value << 4) | digit;
            }

            return true;
        }

        private static int HexConverter(byte c) => c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };

        /// <summary>
        /// Valid UTF-8 text quoted and escaped as the canonical form escapes it: <c>"</c>, <c>\</c> and
        /// newline as <c>\"</c>, <c>\\</c>, <c>\n</c>; other control characters, DEL, U+2028 and
        /// U+2029 as <c>\uXXXX</c> (lowercase hex).
        /// </summary>
        private static void AppendQuoted(ByteText into, ReadOnlySpan<byte> utf8)
        {
            into.Append((byte)'"');
            var separators = utf8.Contains((byte)0xe2); // U+2028 and U+2029 start with it; most strings have none
            while (true)
            {
                var at = utf8.IndexOfAny(Special);
                var separator = separators ? Separator(utf8) : -1;
                separators = separator >= 0;
                if (separators && (at < 0 || separator < at))
                {
                    into.Append(utf8[..separator]);
                    into.Append(utf8[separator + 2] == 0xa8 ? "\\u2028"u8 : "\\u2029"u8);
                    utf8 = utf8[(separator + 3)..];
                    continue;
                }

                if (at < 0)
                {
                    into.Append(utf8);
                    break;
                }

                into.Append(utf8[..at]);
                var c = utf8[at];
                switch (c)
                {
                    case (byte)'"': into.Append("\\\""u8); break;
                    case (byte)'\\': into.Append("\\\\"u8); break;
                    case (byte)'\n': into.Append("\\n"u8); break;
                    default:
                        into.Append("\\u00"u8);
                        into.Append((byte)"0123456789abcdef"[c >> 4]);
                        into.Append((byte)"0123456789abcdef"[c & 0xf]);
                        break;
                }

                utf8 = utf8[(at + 1)..];
            }

            into.Append((byte)'"');
        }

        /// <summary>Where the first U+2028 or U+2029 (E2 80 A8 / E2 80 A9) is; -1 for none.</summary>
        private static int Separator(ReadOnlySpan<byte> utf8)
        {
            var from = 0;
            while (true)
            {
                var at = utf8[from..].IndexOf((byte)0xe2);
                if (at < 0)
                {
                    return -1;
                }

                at += from;
                if (at + 2 < utf8.Length && utf8[at + 1] == 0x80 && utf8[at + 2] is 0xa8 or 0xa9)
                {
                    return at;
                }

                from = at + 1;
            }
        }

        /// <summary>
        /// Numbers by value, exactly (terraform's numbers are arbitrary-precision): 1.50, 1.5 and
        /// 15e-1 are one number, written as plain decimals unless more than 20 zeros would be needed.
        /// </summary>
        private void AppendNumber(ReadOnlySpan<byte> raw)
        {
            var text = raw;
            var negative = text.Length > 0 && text[0] == (byte)'-';
            text = negative ? text[1..] : text;
            var e = text.IndexOfAny((byte)'e', (byte)'E');
            long exponent = 0;
            if (e >= 0)
            {
                if (!long.TryParse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent) || Math.Abs(exponent) > 1_000_000)
                {
                    this.text.Append(raw);
                    return;
                }

                text = text[..e];
            }

            // the digits without the dot, without leading zeros
            var dot = text.IndexOf((byte)'.');
            var start = scratch.Length;
            if (dot < 0)
            {
                scratch.Append(text);
            }
            else
            {
                scratch.Append(text[..dot]);
                scratch.Append(text[(dot + 1)..]);
                exponent -= text.Length - dot - 1;
            }

            var digits = scratch.Span[start..].TrimStart((byte)'0');
            try
            {
                if (digits.Length == 0)
                {
                    this.text.Append((byte)'0');
                    return;
                }

                var trimmed = digits.TrimEnd((byte)'0');
                exponent += digits.Length - trimmed.Length;
                if (negative)
                {
                    this.text.Append((byte)'-');
                }

                if (exponent >= 0)
                {
                    this.text.Append(trimmed);
                    if (exponent <= 20)
                    {
                        this.text.Fill((byte)'0', (int)exponent);
                    }
                    else
                    {
                        this.text.Append((byte)'e');
                        this.text.Append(exponent);
                    }

                    return;
                }

                var fraction = -exponent;
                if (fraction < trimmed.Length)
                {
                    this.text.Append(trimmed[..^(int)fraction]);
                    this.text.Append((byte)'.');
                    this.text.Append(trimmed[^(int)fraction..]);
                }
                else if (fraction - trimmed.Length <= 20)
                {
                    this.text.Append("0."u8);
                    this.text.Fill((byte)'0', (int)(fraction - trimmed.Length));
                    this.text.Append(trimmed);
                }
                else
                {
                    this.text.Append(trimmed);
                    this.text.Append((byte)'e');
                    this.text.Append(exponent);
                }
            }
            finally
            {
                scratch.Length = start;
            }
        }
    }

    /// <summary>A growable UTF-8 buffer, reused from change to change.</summary>
    private sealed class ByteText
    {
        private byte[] buffer = new byte[256];

        public int Length { get; set; }

        public byte[] Buffer => buffer;

        public ReadOnlySpan<byte> Span => buffer.AsSpan(0, Length);

        public void Clear() => Length = 0;

        /// <summary>Empty; a buffer that grew past 64 KiB on a huge value is not kept.</summary>
        public void Reset()
        {
            Length = 0;
            if (buffer.Length > 1 << 16)
            {
                buffer = new byte[256];
            }
        }

        /// <summary>Room for <paramref name="count"/> more bytes, counted as written.</summary>
        public Span<byte> Grow(int count)
        {
            if (Length + count > buffer.Length)
            {
                System.Array.Resize(ref buffer, Math.Max(buffer.Length * 2, Length + count));
            }

            var span = buffer.AsSpan(Length, count);
            Length += count;
            return span;
        }

        public void Append(byte value) => Grow(1)[0] = value;

        public void Append(ReadOnlySpan<byte> value) => value.CopyTo(Grow(value.Length));

        public void Append(long value)
        {
            Span<byte> digits = stackalloc byte[20];
            value.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
            Append(digits[..written]);
        }

        public void Fill(byte value, int count) => Grow(count).Fill(value);
    }
}
