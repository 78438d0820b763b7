using System.Diagnostics;
using PlanBot.Core.Commands;

namespace PlanBot.Core.Tests.Commands;

/// <summary>
/// A comment is CommonMark: a command shown in a code block, quoted, or hidden in an HTML comment is
/// not given, and never runs. The first paragraph after those is the command (or the comment is not one).
/// </summary>
public class MarkdownCommandTests
{
    public static TheoryData<string, CommandVerb?> Table() => new()
    {
        // not commands: shown, quoted or hidden
        { "    /planbot apply", null },                                   // indented code block (4 spaces)
        { "\t/planbot apply", null },                                     // indented code block (tab)
        { "  \t/planbot apply", null },                                   // 2 spaces + tab reach column 4
        { "```\n/planbot apply\n```", null },                             // fenced
        { "~~~sh\n/planbot apply\n~~~", null },                           // fenced with tildes and an info string
        { "```\n/planbot apply", null },                                  // an unclosed fence runs to the end
        { "> /planbot apply", null },                                     // block quote
        { "> quoting you:\n/planbot apply", null },                       // a lazy continuation line stays in the quote
        { "<!-- /planbot apply -->", null },                              // HTML comment
        { "<!--\n/planbot apply\n-->", null },                            // multi-line HTML comment
        { "<details>\n/planbot apply\n</details>", null },                // inside an HTML block
        { "- /planbot apply", null },                                     // a list item
        { "1. /planbot apply", null },                                    // an ordered list item
        { "# /planbot apply", null },                                     // a heading
        { "/planbot apply\n===", null },                                  // a setext heading
        { "> ```\n> /planbot apply\n> ```", null },                        // nested: fence in a quote
        { "> > /planbot apply", null },                                   // nested quotes
        { "- item\n\n      /planbot apply", null },                       // nested: code block in a list item
        { "> <!-- x -->\n> /planbot apply", null },                       // nested: after a comment, in a quote
        { "hello\n/planbot apply", null },                                // the first paragraph is not a command
        // commands: the first paragraph, after anything that cannot hold one
        { "/planbot apply", CommandVerb.Apply },
        { "   /planbot apply", CommandVerb.Apply },                       // up to 3 spaces is still a paragraph
        { "```\n/planbot apply\n```\n\n/planbot plan", CommandVerb.Plan }, // the shown apply is passed over
        { "> /planbot apply\n\n/planbot plan -p a", CommandVerb.Plan },
        { "<!-- note -->\n/planbot plan", CommandVerb.Plan },
        { "[x]: https://example.com\n\n/planbot help", CommandVerb.Help },
        { "\r\n/planbot plan\r\nthanks", CommandVerb.Plan },
        { "/planbot plan\n    -p ignored-continuation", CommandVerb.Plan },  // only the first line counts
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Only_a_first_paragraph_gives_a_command(string body, CommandVerb? verb)
    {
        SlashCommand.Parse(body).Verb.ShouldBe(verb, body);
        SlashCommand.IsCommand(body).ShouldBe(verb is not null, body);
    }

    [Fact]
    public void A_command_after_a_quote_keeps_its_flags()
    {
        var command = SlashCommand.Parse("> /planbot apply -p prod\n\n/planbot plan -p staging -d envs/staging");
        command.Verb.ShouldBe(CommandVerb.Plan);
        command.Projects.ShouldBe(["staging"]);
        command.Dirs.ShouldBe(["envs/staging"]);
    }

    [Fact]
    public void An_unknown_word_in_a_real_command_is_still_answered_but_a_quoted_one_is_ignored()
    {
        SlashCommand.IsCommand("/planbot frobnicate").ShouldBeTrue(); // answered with the usage
        SlashCommand.Parse("/planbot frobnicate").Error.ShouldBe("unknown command `frobnicate`");
        SlashCommand.IsCommand("    /planbot frobnicate").ShouldBeFalse(); // not addressed to PlanBot: no reply at all
    }

    [Theory]
    [InlineData(100_000, '>')]
    [InlineData(100_000, '[')]
    [InlineData(100_000, '`')]
    [InlineData(50_000, '*')]
    public void Hostile_nesting_is_read_quickly_and_never_crashes(int count, char c)
    {
        var body = new string(c, count) + " /planbot apply\n" + string.Concat(Enumerable.Repeat("> - ", 20_000)) + "/planbot apply";
        var watch = Stopwatch.StartNew();
        var command = SlashCommand.Parse(body);
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30)); // generous: a shared, loaded machine; the point is no hang and no crash
        command.Verb.ShouldBeNull();
    }

    [Fact]
    public void Text_past_githubs_comment_limit_is_not_read()
    {
        SlashCommand.IsCommand(new string('\n', 70_000) + "/planbot apply").ShouldBeFalse();
    }
}
