namespace PlanBot.Core.Rendering;

/// <summary>Small escaping helpers: text from plans and users never breaks the comment's structure.</summary>
internal static class Markdown
{
    public static string Html(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Inline code; a backtick inside (legal in for_each keys) would end the span, so it is swapped for a look-alike.</summary>
    public static string Code(string text) => "`" + text.Replace('`', 'ˋ').Replace('\n', ' ') + "`";

    /// <summary>A code span inside a table cell: GitHub splits cells at every unescaped '|', even inside code spans.</summary>
    public static string CodeCell(string text) => Code(text).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>One table cell: the first line, escaped, pipes escaped.</summary>
    public static string Cell(string? text) => Html((text ?? "").Split('\n')[0]).Replace("|", "\\|", StringComparison.Ordinal);

    public static string Plural(int n, string word) => $"{n:N0} {word}{(n == 1 ? "" : "s")}";

    public static string Short(string sha) => Common.Naming.ShortSha(sha);

    /// <summary>A code fence longer than any backtick run in the lines, so no line can close it.</summary>
    public static string Fence(IEnumerable<string> lines)
    {
        var longest = 2;
        foreach (var line in lines)
        {
            var run = 0;
            foreach (var c in line)
            {
                run = c == '`' ? run + 1 : 0;
                longest = Math.Max(longest, run);
            }
        }

        return new string('`', longest + 1);
    }
}
