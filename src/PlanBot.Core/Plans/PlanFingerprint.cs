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
        var lines = new List<string>();
        foreach (var c in changes)
        {
            if (c.Action is not (ChangeAction.Read or ChangeAction.NoOp) || c.IsMove || c.Importing)
            {
                lines.Add($"resource\t{c.Address}\t{c.Deposed}\t{c.ActionList}\t{(c.IsMove ? c.PreviousAddress : "")}\t{(c.Importing ? 1 : 0)}\t{c.ContentDigest}");
            }
        }

        foreach (var o in outputs)
        {
            lines.Add($"output\t{o.Name}\t{o.Actions}\t{o.Digest}");
        }

        lines.Sort(StringComparer.Ordinal);

        // The lines joined by '\n', hashed a buffer at a time (a 10,000-change plan's text is megabytes).
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        var used = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var size = Encoding.UTF8.GetMaxByteCount(lines[i].Length) + 1;
            if (used + size > buffer.Length)
            {
                hash.AppendData(buffer, 0, used);
                used = 0;
                if (size > buffer.Length)
                {
                    buffer = new byte[size];
                }
            }

            if (i > 0)
            {
                buffer[used++] = (byte)'\n';
            }

            used += Encoding.UTF8.GetBytes(lines[i], buffer.AsSpan(used));
        }

        hash.AppendData(buffer, 0, used);

        return Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
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
