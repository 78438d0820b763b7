using PlanBot.Core.Commands;

namespace PlanBot.Core.Tests.Commands;

/// <summary>User text in a reply is inert: a code span that renders exactly the (cleaned) text, no mention, image, link or HTML.</summary>
public class UserTextTests
{
    public static TheoryData<string> Hostile() => new()
    {
        "@acme/admins",
        "@everyone",
        "![x](https://evil.example/pixel.png)",
        "<img src=x onerror=alert(1)>",
        "`<img src=x>`",
        "``` ```",
        "`",
        "[click](https://evil.example)",
        "<!-- hidden -->",
        "a\u202Eevil\u202C",
        "x\u2066y\u2069z\u200E\u200F",
        "line\nbreak\r\n## heading",
        "esc\u001B[31mred\u009B",
        " spaced ",
        "&lt;script&gt;",
        "**bold** _it_ ~~s~~ | cell |",
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_code_span_renders_the_cleaned_text_and_nothing_else(string text)
    {
        var span = UserText.Code(text, max: 200);
        var html = Markdig.Markdown.ToHtml(span).Trim();
        html.ShouldStartWith("<p><code>");
        html.ShouldEndWith("</code></p>");
        html.ShouldNotContain("<img");
        html.ShouldNotContain("<a ");
        html.ShouldNotContain("<!--");
        var inner = html["<p><code>".Length..^"</code></p>".Length];
        var clean = UserText.Clean(text, 200);
        System.Net.WebUtility.HtmlDecode(inner).ShouldBe(clean.Length == 0 ? " " : clean);
        span.ShouldNotContain('\n');
        span.Any(UserText.IsInvisible).ShouldBeFalse();
    }

    [Theory]
    [InlineData("a\u202Eb\u202Ac\u202Bd\u202Ce\u202Df", "abcdef")]
    [InlineData("\u2066\u2067\u2068\u2069x\u200E\u200F\u061C\uFEFF", "x")]
    [InlineData("tab\there\u0000nul\u007Fdel\u0085nel", "tabherenuldelnel")]
    public void Control_and_bidi_characters_are_removed(string text, string expected) =>
        UserText.Clean(text, 100).ShouldBe(expected);

    [Fact]
    public void Long_text_is_cut_without_splitting_a_character()
    {
        UserText.Clean(new string('x', 39) + "😀😀", 40).ShouldBe(new string('x', 39) + "…");
        UserText.Code(new string('y', 500)).Length.ShouldBeLessThan(50);
    }

    [Theory]
    [InlineData("--project '@acme/admins' is not a project", "@\u200Dacme")]
    [InlineData("<img src=x> ![a](b)", "&lt;img src=x&gt; \\!\\[a\\](b)")]
    public void Inline_text_has_no_live_mention_image_or_html(string text, string contained)
    {
        var inline = UserText.Inline(text);
        inline.ShouldContain(contained);
        var html = Markdig.Markdown.ToHtml(inline);
        html.ShouldNotContain("<img");
        html.ShouldNotContain("<a ");
    }
}
