using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
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
/// Each value is also masked in the encodings it can be printed in (<see cref="Encodings"/>): a
/// password with a quote, a backslash or a TAB reaches a comment JSON-escaped when it sits inside a
/// JSON string attribute (a policy document) or a terraform diagnostic, never raw.
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
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        foreach (var value in sensitiveValues)
        {
            if (!MaskedByValue(value) || !seen.Add(value))
            {
                continue;
            }

            var target = value.Length >= SubstringMinLength ? long_ : _exact;
            foreach (var encoded in Encodings(value))
            {
                target.Add(encoded);
            }

            count++;
        }

        _longest = [.. long_.OrderByDescending(v => v.Length)];
        _substrings = long_.Count > 0 ? SearchValues.Create(_longest, StringComparison.Ordinal) : null;
        _masks = [.. masks];
        SecretCount = count;
    }

    /// <summary>How many distinct values are masked wherever they appear.</summary>
    public int SecretCount { get; }

    /// <summary>Whether a sensitive value is masked outside the places terraform marks (see the class summary).</summary>
    public static bool MaskedByValue(string value) => value.Length >= ExactMinLength && !Common.Contains(value);

    /// <summary>
    /// The forms a value can be printed in: raw; JSON-escaped the way terraform (Go: lowercase \u, HTML
    /// characters escaped), System.Text.Json (default and relaxed) and HCL diagnostics (<c>$${</c>) write
    /// it; JSON-escaped twice (a JSON document inside a JSON string); HTML-escaped (Markdown output);
    /// and, for a multi-line value (a PEM key), each long line on its own, since diagnostics are
    /// masked line by line.
    /// </summary>
    public static IReadOnlyCollection<string> Encodings(string value)
    {
        var forms = new HashSet<string>(StringComparer.Ordinal) { value };
        foreach (var once in (string[])[GoJson(value, html: false), GoJson(value, html: true), JsonEncodedText.Encode(value).ToString(),
                     JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString()])
        {
            forms.Add(once);
            forms.Add(GoJson(once, html: false));
            forms.Add(JsonEncodedText.Encode(once).ToString());
            forms.Add(once.Replace("${", "$${", StringComparison.Ordinal).Replace("%{", "%%{", StringComparison.Ordinal));
        }

        forms.Add(System.Net.WebUtility.HtmlEncode(value));
        if (value.Contains('\n', StringComparison.Ordinal))
        {
            foreach (var line in value.Split('\n'))
            {
                if (line.Trim().Length >= MultiLineMinLength)
                {
                    forms.Add(line.Trim());
                }
            }
        }

        return forms;
    }

    /// <summary>A line of a multi-line secret this long is masked on its own (a PEM body line is 64).</summary>
    public const int MultiLineMinLength = 16;

    /// <summary>Go's encoding/json string escaping (what terraform's jsonencode and its JSON output write), without the quotes.</summary>
    private static string GoJson(string value, bool html)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<' or '>' or '&' when html: sb.Append($"\\u{(int)c:x4}"); break;
                case '\u2028' or '\u2029': sb.Append($"\\u{(int)c:x4}"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append($"\\u{(int)c:x4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

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
