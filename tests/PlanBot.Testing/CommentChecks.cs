using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using Shouldly;

namespace PlanBot.Testing;

/// <summary>Structural checks every rendered comment part must pass, whatever the plan.</summary>
public static partial class CommentChecks
{
    [GeneratedRegex("<details>|<details ", RegexOptions.CultureInvariant)]
    private static partial Regex OpenDetails();

    /// <summary>Parses as Markdown (Markdig), every code fence closed, &lt;details&gt; balanced outside code, within the limit.</summary>
    public static void ShouldBeBalanced(string part, int maxChars, string context)
    {
        part.Length.ShouldBeLessThanOrEqualTo(maxChars, context);
        var document = Markdown.Parse(part);
        var outside = part;
        foreach (var block in document.Descendants<FencedCodeBlock>().OrderByDescending(b => b.Span.Start))
        {
            block.ClosingFencedCharCount.ShouldBeGreaterThan(0, $"{context}: a code fence opened at line {block.Line + 1} is never closed");
            outside = outside.Remove(block.Span.Start, Math.Min(block.Span.Length, outside.Length - block.Span.Start));
        }

        foreach (var code in document.Descendants<Markdig.Syntax.Inlines.CodeInline>().OrderByDescending(c => c.Span.Start))
        {
            if (code.Span.Start >= 0 && code.Span.End < outside.Length)
            {
                outside = outside.Remove(code.Span.Start, code.Span.Length);
            }
        }

        var opened = OpenDetails().Count(outside);
        var closed = Regex.Count(outside, "</details>");
        opened.ShouldBe(closed, $"{context}: {opened} <details> but {closed} </details>");
    }

    /// <summary>
    /// Every resource with a non-no-op action appears, or its project's section says how many are not shown.
    /// </summary>
    public static void ShouldAccountForEveryChange(string output, IEnumerable<string> addresses, int notShown)
    {
        var missing = addresses.Where(a => !output.Contains($"`{a.Replace('`', 'ˋ')}`", StringComparison.Ordinal)).ToArray();
        var counted = Regex.Matches(output, @"_([\d,]+) resources? not shown here_").Sum(m => int.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal)));
        if (notShown == 0)
        {
            missing.ShouldBeEmpty("every changed resource is named");
        }
        else
        {
            counted.ShouldBe(notShown, "the not-shown notices count the left-out resources");
        }
    }
}
