using PlanBot.Core.Commands;

namespace PlanBot.Core.Tests.Commands;

/// <summary>The /planbot parser over odd comments: quotes, unicode, white space, several lines, injection attempts.</summary>
public class SlashCommandTests
{
    public static TheoryData<string, CommandVerb?, string[], string?> Table() => new()
    {
        { "/planbot plan", CommandVerb.Plan, [], null },
        { "  /planbot   plan  ", CommandVerb.Plan, [], null },
        { "\n\n/planbot plan -p network\nthanks!", CommandVerb.Plan, ["network"], null },
        { "/planbot plan -p a --project b -p c", CommandVerb.Plan, ["a", "b", "c"], null },
        { "/planbot PLAN", CommandVerb.Plan, [], null },
        { "/planbot\tapprove\t-p\tprod", CommandVerb.Approve, ["prod"], null },
        { "/planbot approve -- looks good, the destroy is intended", CommandVerb.Approve, [], null },
        { "/planbot unapprove", CommandVerb.Unapprove, [], null },
        { "/planbot apply -p envs/prod/network", CommandVerb.Apply, ["envs/prod/network"], null },
        { "/planbot unlock", CommandVerb.Unlock, [], null },
        { "/planbot help", CommandVerb.Help, [], null },
        { "/planbot plan -p 'network'", CommandVerb.Plan, ["'network'"], null }, // quotes are characters, not syntax: no such project
        { "/planbot plan -p \"a b\"", null, [], "unexpected `b\"` (projects go after -p)" },
        { "/planbot plan -p réseau-日本", CommandVerb.Plan, ["réseau-日本"], null },
        { "/planbot plan -p $(rm -rf /)", null, [], "unknown flag `-rf`" }, // words are data: '$(rm' would only ever be a (refused) project name
        { "/planbot plan -p `id`", CommandVerb.Plan, ["`id`"], null }, // passed as a name, then refused as an unknown project
        { "/planbot plan; rm -rf /", null, [], "unknown command `plan;`" },
        { "/planbot plan -p", null, [], "-p needs a value" },
        { "/planbot plan -p -d x", null, [], "-p needs a value" },
        { "/planbot plan --force", null, [], "unknown flag `--force`" },
        { "/planbot frobnicate", null, [], "unknown command `frobnicate`" },
        { "/planbot @everyone", null, [], "unknown command `@everyone`" }, // in a code span: never a live mention
        { "/planbot `x`<img/src=x>", null, [], "unknown command `` `x`<img/src=x> ``" }, // the fence outgrows the backticks inside
        { "/planbot pl\u202Ean", null, [], "unknown command `plan`" }, // bidi override removed
        { "/planbot", null, [], "no command given" },
        { "please /planbot plan", null, [], "not a /planbot command" },
        { "", null, [], "not a /planbot command" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Odd_comments_parse_to_a_command_or_a_clear_error(string body, CommandVerb? verb, string[] projects, string? error)
    {
        var command = SlashCommand.Parse(body);
        command.Verb.ShouldBe(verb);
        command.Projects.ShouldBe(projects);
        command.Error.ShouldBe(error);
    }

    [Fact]
    public void Dirs_and_the_reason_after_two_dashes_are_kept_apart_from_the_flags()
    {
        var command = SlashCommand.Parse("/planbot approve -d envs/prod -p app -- ticket OPS-12 -p not-a-flag");
        command.Dirs.ShouldBe(["envs/prod"]);
        command.Projects.ShouldBe(["app"]);
        command.Reason.ShouldBe("ticket OPS-12 -p not-a-flag");
    }

    [Fact]
    public void A_very_long_unknown_word_is_shortened_in_the_reply()
    {
        var error = SlashCommand.Parse("/planbot " + new string('x', 500)).Error!;
        error.Length.ShouldBeLessThan(80);
    }
}
