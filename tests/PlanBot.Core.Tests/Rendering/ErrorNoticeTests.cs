using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using PlanBot.Core.Comments;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Core.Common;

namespace PlanBot.Core.Tests.Rendering;

/// <summary>
/// The notice of an error that stopped a PR's run (issue 14 item 4): PlanBot's plan comment with
/// what, file:line and the fix; inert whatever the message holds; never a stack trace or a server path.
/// </summary>
public class ErrorNoticeTests
{
    private const string Head = "0123456789abcdef0123456789abcdef01234567";

    [Fact]
    public void A_config_error_keeps_every_file_line_and_says_where_each_side_is_fixed()
    {
        var error = new ConfigException([new ConfigError("planbot.yaml", 4, 5, "unknown key 'dri' in projects[]: did you mean 'dir'?"), new ConfigError("planbot.yaml (base abc1234)", 2, 3, "'approval.required' is 0: use a number from 1 to 10")]);
        var report = ErrorNotice.For(error);
        var body = ErrorNotice.Render(report, Head, "https://github.com/acme/infra/actions/runs/1");
        body.ShouldStartWith(MarkdownComment.Marker + "\n### ❌ planbot.yaml is invalid (`0123456`)\n\n```text\nplanbot.yaml:4:5: unknown key 'dri'");
        body.ShouldContain("planbot.yaml (base abc1234):2:3: 'approval.required' is 0");
        body.ShouldContain("**How to fix it:**");
        body.ShouldContain("[The run's log](https://github.com/acme/infra/actions/runs/1)");
        PlanCommentWriter.PartOf(body).ShouldBe(1, "it is PlanBot's plan comment, so the next good run replaces it");
        report.Gate.ShouldBe("not planned: planbot.yaml is invalid (see the PlanBot comment)");
    }

    [Fact]
    public void A_crash_shows_type_and_message_only_never_the_stack_trace()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("Sequence contains no elements");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        thrown.StackTrace.ShouldNotBeNull();
        var body = ErrorNotice.Render(ErrorNotice.For(thrown), Head, null);
        body.ShouldContain("InvalidOperationException: Sequence contains no elements");
        body.ShouldNotContain(" at ");
        body.ShouldNotContain(nameof(A_crash_shows_type_and_message_only_never_the_stack_trace));
        body.ShouldContain("`/planbot plan`");
        ErrorNotice.For(thrown).Gate.ShouldBe("not planned: PlanBot failed (see the PlanBot comment)");
    }

    [Fact]
    public void Server_paths_become_repository_relative()
    {
        var body = ErrorNotice.Render(ErrorNotice.For(new IOException("could not read /var/lib/planbot/workspaces/acme/infra/pr-7/net/main.tf")), Head, null, ["/var/lib/planbot/workspaces/acme/infra/pr-7/"]);
        body.ShouldContain("could not read net/main.tf");
        body.ShouldNotContain("/var/lib/planbot");
    }

    [Fact]
    public void Whatever_the_message_holds_stays_inert_text_in_one_code_block()
    {
        // a key name from the PR's planbot.yaml reaches the message: fences, HTML, mentions, bidi
        var hostile = "unknown key '```\n<img src=x onerror=alert(1)> @acme/admins **bold** \u202Egnp.exe'";
        var body = ErrorNotice.Render(ErrorNotice.For(new ConfigException([new ConfigError("planbot.yaml", 1, 1, hostile)])), Head, null);
        body.ShouldNotContain("\u202E");
        var document = Markdig.Markdown.Parse(body, new MarkdownPipelineBuilder().UseAdvancedExtensions().Build());
        var code = document.Descendants<FencedCodeBlock>().ShouldHaveSingleItem();
        code.Lines.ToString().ShouldContain("<img src=x onerror=alert(1)> @acme/admins");
        document.Descendants<HtmlBlock>().ShouldHaveSingleItem().Lines.ToString().ShouldBe(MarkdownComment.Marker, "PlanBot's marker is the only HTML");
        document.Descendants<HtmlInline>().ShouldBeEmpty();
        document.Descendants<EmphasisInline>().ShouldAllBe(e => !e.ToString()!.Contains("bold", StringComparison.Ordinal));
    }

    [Fact]
    public void A_long_message_is_cut_with_a_note_and_the_gate_line_fits_githubs_140_characters()
    {
        var message = string.Join("\n", Enumerable.Range(1, 2_000).Select(i => $"planbot.yaml:{i}:1: unknown key 'k{i}'"));
        var report = ErrorNotice.For(new UsageException(message));
        var body = ErrorNotice.Render(report, Head, null);
        body.Length.ShouldBeLessThan(ErrorNotice.MaxDetailChars + 1_000);
        body.ShouldContain("(cut: see the run's log for the rest)");
        ErrorNotice.Trim(report.Gate).ShouldBe("not planned: planbot.yaml:1:1: unknown key 'k1'");
        ErrorNotice.Trim(new string('x', 500)).Length.ShouldBe(ErrorNotice.MaxStatusChars);
    }

    [Theory]
    [InlineData(typeof(OperationCanceledException), false)]
    [InlineData(typeof(VcsException), false)]
    [InlineData(typeof(ConfigException), true)]
    [InlineData(typeof(UsageException), true)]
    [InlineData(typeof(NullReferenceException), true)]
    public void GitHubs_own_failures_and_cancellations_are_not_told_on_the_pr(Type type, bool told)
    {
        ErrorNotice.CanTell((Exception)Activator.CreateInstance(type)!).ShouldBe(told);
    }
}
