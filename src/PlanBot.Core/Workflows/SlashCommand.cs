namespace PlanBot.Core.Workflows;

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
    /// Reads the first non-empty line: <c>/planbot VERB [-p|--project NAME]… [-d|--dir DIR]… [-- free text]</c>.
    /// Words are split on white space only (no quotes, no shell): what a comment says is data, never a command line.
    /// </summary>
    public static SlashCommand Parse(string body)
    {
        var line = body.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
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
            return Fail($"unknown command '{Shown(words[1])}'");
        }

        var projects = new List<string>();
        var dirs = new List<string>();
        for (var i = 2; i < words.Length; i++)
        {
            var word = words[i];
            var target = word is "-p" or "--project" ? projects : word is "-d" or "--dir" ? dirs : null;
            if (target is null)
            {
                return Fail(word.StartsWith('-') ? $"unknown flag '{Shown(word)}'" : $"unexpected '{Shown(word)}' (projects go after -p)");
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

    /// <summary>Text from a comment echoed back: short, one line, no Markdown that could ping or link.</summary>
    private static string Shown(string word)
    {
        var clean = new string([.. word.Where(c => !char.IsControl(c) && c is not ('`' or '@' or '<' or '>' or '[' or ']'))]);
        return clean.Length <= 40 ? clean : clean[..40] + "…";
    }
}
