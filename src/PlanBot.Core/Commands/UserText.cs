using System.Text;

namespace PlanBot.Core.Commands;

/// <summary>
/// Text from a comment (or any user) echoed in a reply. It goes in a code span, where Markdown,
/// HTML, images and @mentions are inert; control and bidi characters (which reorder what a reader
/// sees, "Trojan Source") are removed first, and it is cut short. Replies never echo user text any
/// other way.
/// </summary>
public static class UserText
{
    public const int MaxChars = 40;

    /// <summary>A CommonMark code span holding <paramref name="text"/>, cleaned and cut to <paramref name="max"/> characters.</summary>
    public static string Code(string text, int max = MaxChars)
    {
        var clean = Clean(text, max);
        if (clean.Length == 0)
        {
            return "` `";
        }

        // a fence longer than any backtick run inside; padded when the text starts or ends with one (CommonMark 6.1)
        var fence = new string('`', LongestRun(clean, '`') + 1);
        var pad = clean[0] == '`' || clean[^1] == '`' || (clean[0] == ' ' && clean[^1] == ' ') ? " " : "";
        return fence + pad + clean + pad + fence;
    }

    /// <summary>
    /// Plain text made inert outside a code span (a message of PlanBot's that embeds user words):
    /// cleaned, HTML and Markdown punctuation escaped, every @ followed by a zero-width joiner so no
    /// mention (user or team) is ever live.
    /// </summary>
    public static string Inline(string text, int max = 500)
    {
        var clean = Clean(text, max);
        var sb = new StringBuilder(clean.Length + 16);
        foreach (var c in clean)
        {
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '@': sb.Append("@\u200D"); break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '!' or '|' or '~' or '#': sb.Append('\\').Append(c); break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Removes C0/C1 controls (line breaks too: an echo is one line), bidi embeddings, overrides, isolates and marks, and cuts the rest short.</summary>
    public static string Clean(string text, int max = MaxChars)
    {
        var sb = new StringBuilder(Math.Min(text.Length, max + 1));
        foreach (var c in text)
        {
            if (IsInvisible(c))
            {
                continue;
            }

            if (sb.Length == max)
            {
                if (char.IsHighSurrogate(sb[^1]))
                {
                    sb.Length--; // never half a character
                }

                return sb.Append('…').ToString();
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>C0 and C1 controls, DEL, U+200E/F (LRM, RLM), U+061C (ALM), U+202A–202E, U+2066–2069, BOM / zero-width no-break space.</summary>
    public static bool IsInvisible(char c) =>
        char.IsControl(c) || c is '\u200E' or '\u200F' or '\u061C' or '\uFEFF' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    private static int LongestRun(string text, char c)
    {
        int longest = 0, run = 0;
        foreach (var x in text)
        {
            run = x == c ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }
}
