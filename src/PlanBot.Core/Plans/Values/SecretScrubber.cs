using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace PlanBot.Core.Plans.Values;

/// <summary>
/// Masks secrets in text that is about to be printed. Terraform marks a value sensitive only where it
/// flows through sensitive-typed paths; copies of it (terraform_data.output mirroring a sensitive
/// input, an unmarked prior state, a connection string built from a password) are not marked, so
/// every value marked sensitive anywhere in the plan is masked wherever it appears:
/// <list type="bullet">
/// <item>at least <see cref="SubstringMinLength"/> characters: masked as a substring of any printed value;</item>
/// <item><see cref="ExactMinLength"/> to <see cref="SubstringMinLength"/> − 1 characters: masked where a printed value equals it;</item>
/// <item>shorter ones and the common words in <see cref="Common"/> (true, false, null, …): masked only where terraform marks them, since
/// masking every "1" or "true" would hide the plan, not a secret.</item>
/// </list>
/// The <c>comments.mask</c> regexes of planbot.yaml mask their matches in every printed value too.
/// </summary>
public sealed class SecretScrubber
{
    public const string Masked = "(sensitive)";
    public const int SubstringMinLength = 6;
    public const int ExactMinLength = 3;

    public static readonly SecretScrubber None = new([], []);

    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase) { "true", "false", "null", "none", "yes", "no", "on", "off" };

    private readonly HashSet<string> _exact;
    private readonly SearchValues<string>? _substrings;
    private readonly string[] _longest; // the long secrets, longest first: which one matched where
    private readonly Regex[] _masks;

    public SecretScrubber(IEnumerable<string> sensitiveValues, IReadOnlyList<Regex> masks)
    {
        _exact = new HashSet<string>(StringComparer.Ordinal);
        var long_ = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in sensitiveValues)
        {
            if (!MaskedByValue(value))
            {
                continue;
            }

            (value.Length >= SubstringMinLength ? long_ : _exact).Add(value);
        }

        _longest = [.. long_.OrderByDescending(v => v.Length)];
        _substrings = long_.Count > 0 ? SearchValues.Create(_longest, StringComparison.Ordinal) : null;
        _masks = [.. masks];
        SecretCount = _exact.Count + long_.Count;
    }

    /// <summary>How many distinct values are masked wherever they appear.</summary>
    public int SecretCount { get; }

    /// <summary>Whether a sensitive value is masked outside the places terraform marks (see the class summary).</summary>
    public static bool MaskedByValue(string value) => value.Length >= ExactMinLength && !Common.Contains(value);

    public string Scrub(string text)
    {
        if (text.Length == 0)
        {
            return text;
        }

        if (_exact.Contains(text))
        {
            return Masked;
        }

        if (_substrings is not null && text.Length >= SubstringMinLength)
        {
            text = ReplaceSubstrings(text, _substrings);
        }

        foreach (var mask in _masks)
        {
            try
            {
                text = mask.Replace(text, Masked);
            }
            catch (RegexMatchTimeoutException)
            {
                return Masked; // a mask that cannot decide in time hides the whole value: never show what it may cover
            }
        }

        return text;
    }

    /// <summary>Masks every occurrence of a long secret; overlapping ones merge into one mask, so no part of either shows.</summary>
    private string ReplaceSubstrings(string text, SearchValues<string> secrets)
    {
        var at = text.AsSpan().IndexOfAny(secrets);
        if (at < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        var copied = 0;
        while (at >= 0)
        {
            var end = at + MatchLength(text, at);
            for (var next = at + 1; next <= end && next < text.Length;)
            {
                var more = text.AsSpan(next, text.Length - next).IndexOfAny(secrets);
                if (more < 0 || next + more > end)
                {
                    break;
                }

                next += more;
                end = Math.Max(end, next + MatchLength(text, next));
                next++;
            }

            sb.Append(text, copied, at - copied).Append(Masked);
            copied = end;
            var rest = text.AsSpan(end).IndexOfAny(secrets);
            at = rest < 0 ? -1 : end + rest;
        }

        return sb.Append(text, copied, text.Length - copied).ToString();
    }

    private int MatchLength(string text, int at)
    {
        var span = text.AsSpan(at);
        foreach (var secret in _longest)
        {
            if (span.StartsWith(secret, StringComparison.Ordinal))
            {
                return secret.Length;
            }
        }

        return 1; // unreachable: IndexOfAny found one of them here
    }
}
