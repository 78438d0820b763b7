using System.Security.Cryptography;
using System.Text;

namespace PlanBot.Core.Plans;

/// <summary>
/// The identity of what a plan would do, format v2 ("content fingerprint"): SHA-256 over the sorted
/// lines <c>resource\taddress\tdeposed\tactions\tmoved-from\timport\tvalues</c> of every change
/// except reads (data sources re-read on every plan and would void approvals) and no-ops, and
/// <c>output\tname\tactions\tvalues</c> of every output change; <c>values</c> is the digest of the
/// change's before/after values (<see cref="ChangeValues"/>: unknowns kept, sensitive values only as
/// salted hashes). Two plans with equal fingerprints do the same things with the same values,
/// whatever order terraform listed them or their keys in. Written <c>v2:</c> + 64 hex digits: a
/// fingerprint of another format (the v1 <c>sha256:</c> of addresses and actions only) never equals
/// one of this format, so an approval recorded under an older format needs a new approval.
/// </summary>
public static class PlanFingerprint
{
    /// <summary>The prefix of the current format; bump it when anything above changes.</summary>
    public const string Prefix = "v2:";

    /// <summary>How many hex digits the short form shows: enough to tell plans apart in a conversation.</summary>
    public const int ShortLength = 12;

    /// <summary>Changes as the reader builds them (<see cref="ResourceChange.ContentDigest"/> set); no outputs.</summary>
    public static string Compute(IEnumerable<ResourceChange> changes) => Compute(changes, []);

    public static string Compute(IEnumerable<ResourceChange> changes, IEnumerable<OutputContent> outputs)
    {
        // The lines are sorted and hashed as their fields, never joined into one string each (issue 19:
        // 10,000 lines of ~200 characters): Line.Compare orders them as the joined text would be.
        var lines = new List<Line>();
        foreach (var c in changes)
        {
            if (c.Action is not (ChangeAction.Read or ChangeAction.NoOp) || c.IsMove || c.Importing)
            {
                lines.Add(new Line("resource", [c.Address, c.Deposed ?? "", c.ActionList, c.IsMove ? c.PreviousAddress ?? "" : "", c.Importing ? "1" : "0", c.ContentDigest]));
            }
        }

        foreach (var o in outputs)
        {
            lines.Add(new Line("output", [o.Name, o.Actions, o.Digest]));
        }

        lines.Sort(Line.Compare);

        // The lines joined by '\n', hashed a buffer at a time (a 10,000-change plan's text is megabytes).
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        var used = 0;
        void Write(char separator, string text)
        {
            var size = Encoding.UTF8.GetMaxByteCount(text.Length) + 1;
            if (used + size > buffer.Length)
            {
                hash.AppendData(buffer, 0, used);
                used = 0;
                if (size > buffer.Length)
                {
                    buffer = new byte[size];
                }
            }

            if (separator != '\0')
            {
                buffer[used++] = (byte)separator;
            }

            used += Encoding.UTF8.GetBytes(text, buffer.AsSpan(used));
        }

        for (var i = 0; i < lines.Count; i++)
        {
            Write(i == 0 ? '\0' : '\n', lines[i].Kind);
            foreach (var field in lines[i].Fields)
            {
                Write('\t', field);
            }
        }

        hash.AppendData(buffer, 0, used);
        return Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>One line of the fingerprint: its kind, then its fields, each after a TAB.</summary>
    private readonly record struct Line(string Kind, string[] Fields)
    {
        /// <summary>
        /// The order of <c>string.CompareOrdinal</c> on the joined lines. Kinds differ in their first
        /// character ("output" before "resource"); within a kind the fields are compared as one text
        /// with their TABs, character by character where one field runs into the next.
        /// </summary>
        public static int Compare(Line a, Line b)
        {
            if (!ReferenceEquals(a.Kind, b.Kind))
            {
                return string.CompareOrdinal(a.Kind, b.Kind);
            }

            // fast: the first fields (the address or name) differ within both
            var (x, y) = (a.Fields[0], b.Fields[0]);
            var common = Math.Min(x.Length, y.Length);
            var order = x.AsSpan(0, common).SequenceCompareTo(y.AsSpan(0, common));
            if (order != 0)
            {
                return order;
            }

            var (p, q) = (new Cursor(a.Fields), new Cursor(b.Fields));
            while (true)
            {
                int c = p.Next(), d = q.Next();
                if (c != d || c < 0)
                {
                    return c.CompareTo(d);
                }
            }
        }
    }

    /// <summary>The characters of fields joined by TABs, one at a time; -1 at the end.</summary>
    private struct Cursor(string[] fields)
    {
        private int field;
        private int at;

        public int Next()
        {
            var text = fields[field];
            if (at < text.Length)
            {
                return text[at++];
            }

            if (field == fields.Length - 1)
            {
                return -1;
            }

            (field, at) = (field + 1, 0);
            return '\t';
        }
    }

    /// <summary>Whether <paramref name="fingerprint"/> is of the current format (else it can never match a plan read now).</summary>
    public static bool IsCurrent(string? fingerprint) => fingerprint is not null && fingerprint.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The form a reviewer quotes: the first 12 hex digits (of any format).</summary>
    public static string Short(string fingerprint)
    {
        var colon = fingerprint.IndexOf(':', StringComparison.Ordinal);
        var hex = colon < 0 ? fingerprint : fingerprint[(colon + 1)..];
        return hex.Length <= ShortLength ? hex : hex[..ShortLength];
    }
}

/// <summary>One output change as the fingerprint holds it: its name, actions and sealed value digest.</summary>
public sealed record OutputContent(string Name, string Actions, string Digest);
