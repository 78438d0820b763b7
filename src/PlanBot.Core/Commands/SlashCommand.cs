using Markdig;
using Markdig.Syntax;

namespace PlanBot.Core.Commands;

public enum CommandVerb
{
    Plan,
    Approve,
    Unapprove,
    Apply,
    Unlock,
    Help,
}

/// <summary>A parsed <c>/planbot</c> command, or why it could not be parsed.</summary>
public sealed record SlashCommand(CommandVerb? Verb, IReadOnlyList<string> Projects, IReadOnlyList<string> Dirs, string? Reason, string? Error)
{
    public const string Usage = """
        PlanBot commands (comment them on the pull request):
        - `/planbot plan [-p PROJECT]… [-d DIR]…`: plan again (all affected projects, or these)
        - `/planbot approve [-p PROJECT]… [-- reason]`: approve the plans of the current head
        - `/planbot unapprove [-p PROJECT]…`: withdraw your approval
        - `/planbot apply [-p PROJECT]…`: apply approved plans (with `apply.mode: comment`)
        - `/planbot unlock [-p PROJECT]…`: release this PR's project locks so other PRs can plan
        - `/planbot help`: this list
        """;

    /// <summary>
    /// Reads the first line of the comment's first paragraph, the comment read as CommonMark:
    /// <c>/planbot VERB [-p|--project NAME]… [-d|--dir DIR]… [-- free text]</c>. Code blocks (fenced or
    /// indented by 4 spaces or a tab), block quotes, HTML blocks (comments) and link definitions
    /// before it are passed over and never hold a command: quoting or showing a command is not giving
    /// it. Any other first block (a heading, a list, a table) means the comment is not a command.
    /// Words are split on white space only (no quotes, no shell): what a comment says is data, never a command line.
    /// </summary>
    public static SlashCommand Parse(string body)
    {
        var line = FirstParagraphLine(body);
        string? reason = null;
        var dashes = line.IndexOf(" -- ", StringComparison.Ordinal);
        if (dashes >= 0)
        {
            reason = line[(dashes + 4)..].Trim();
            line = line[..dashes];
        }
        else if (line.EndsWith(" --", StringComparison.Ordinal))
        {
            line = line[..^3];
        }

        var words = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || words[0] != "/planbot")
        {
            return Fail("not a /planbot command");
        }

        if (words.Length == 1)
        {
            return Fail("no command given");
        }

        CommandVerb? verb = words[1].ToLowerInvariant() switch
        {
            "plan" => CommandVerb.Plan,
            "approve" => CommandVerb.Approve,
            "unapprove" => CommandVerb.Unapprove,
            "apply" => CommandVerb.Apply,
            "unlock" => CommandVerb.Unlock,
            "help" => CommandVerb.Help,
            _ => null,
        };
        if (verb is null)
        {
            return Fail($"unknown command {Shown(words[1])}");
        }

        var projects = new List<string>();
        var dirs = new List<string>();
        for (var i = 2; i < words.Length; i++)
        {
            var word = words[i];
            var target = word is "-p" or "--project" ? projects : word is "-d" or "--dir" ? dirs : null;
            if (target is null)
            {
                return Fail(word.StartsWith('-') ? $"unknown flag {Shown(word)}" : $"unexpected {Shown(word)} (projects go after -p)");
            }

            if (i + 1 >= words.Length || words[i + 1].StartsWith('-'))
            {
                return Fail($"{word} needs a value");
            }

            target.Add(words[++i]);
        }

        return new SlashCommand(verb, projects, dirs, reason, null);

        SlashCommand Fail(string error) => new(null, [], [], null, error);
    }

    /// <summary>
    /// Whether a comment is addressed to PlanBot at all: its first paragraph (as <see cref="Parse"/>
    /// reads it) starts with <c>/planbot</c> then a space or the end. Other comments are ignored
    /// without a reply; these get the command or the usage.
    /// </summary>
    public static bool IsCommand(string? body)
    {
        var line = FirstParagraphLine(body ?? "");
        return line == "/planbot" || line.StartsWith("/planbot ", StringComparison.Ordinal) || line.StartsWith("/planbot\t", StringComparison.Ordinal);
    }

    /// <summary>Text from a comment echoed back: in a code span, short, one line, no control or bidi characters (see <see cref="UserText"/>).</summary>
    private static string Shown(string word) => UserText.Code(word);

    /// <summary>Comments longer than GitHub allows (65,536) are read up to that: nothing past it is a command.</summary>
    private const int MaxBody = 65_536;

    /// <summary>Block structure only: the command is plain text, so inline Markdown is not parsed at all.</summary>
    private static readonly MarkdownPipeline Blocks = BlocksOnly();

    private static string FirstParagraphLine(string body)
    {
        var text = body.Length > MaxBody ? body[..MaxBody] : body;
        MarkdownDocument document;
        try
        {
            document = Markdig.Markdown.Parse(text, Blocks);
        }
        catch (ArgumentException)
        {
            return ""; // Markdig's nesting limit: thousands of nested quotes or lists are not a command
        }

        foreach (var block in document)
        {
            switch (block)
            {
                case CodeBlock or QuoteBlock or HtmlBlock or LinkReferenceDefinitionGroup or BlankLineBlock:
                    continue; // shown, quoted or hidden: never a command
                case ParagraphBlock paragraph:
                    var start = Math.Clamp(paragraph.Span.Start, 0, text.Length);
                    var end = text.IndexOfAny(['\n', '\r'], start);
                    return text[start..(end < 0 ? text.Length : end)].Trim();
                default:
                    return "";
            }
        }

        return "";
    }

    private static MarkdownPipeline BlocksOnly()
    {
        var builder = new MarkdownPipelineBuilder();
        builder.InlineParsers.Clear();
        return builder.Build();
    }
}
