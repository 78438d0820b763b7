using System.Text;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Core.Common;

namespace PlanBot.Core.Comments;

/// <summary>What stopped a pull request's run, as the PR is told: a title, the details (file:line where there is one), the fix, and the gate's one line.</summary>
public sealed record ErrorReport(string Title, string Details, string Fix, string Gate);

/// <summary>
/// An error that stopped a pull request's run, told where its author looks (PRODUCT.md "Where errors
/// go"): PlanBot's own plan comment (part 1, edited in place, its metadata kept, leftover parts
/// deleted) says what is wrong and how to fix it, and <c>planbot/apply-gate</c> fails, so an older
/// green gate never stands for a head nobody planned. Both hosts reach it: the dispatcher for errors
/// of a run, the service's dead-letter notice for a delivery it gave up on. The details are the
/// exception's message only, never a stack trace; server paths are made repository-relative and
/// the text sits in a code block, where nothing in it (a key name from the PR) is live Markdown.
/// PlanBot's own secrets are masked on the way to GitHub by the client.
/// </summary>
public static class ErrorNotice
{
    /// <summary>GitHub refuses status descriptions over 140 characters.</summary>
    public const int MaxStatusChars = 140;

    /// <summary>Enough for every error of a planbot.yaml that is wrong throughout; the rest is cut with a note.</summary>
    public const int MaxDetailChars = 6_000;

    /// <summary>
    /// Whether an error can be told on the PR: not a cancellation (the run was stopped, not failed) and
    /// not GitHub's own refusal or outage (the notice would meet the same wall; the host logs it).
    /// </summary>
    public static bool CanTell(Exception error) => error is not (OperationCanceledException or VcsException or OutOfMemoryException);

    /// <summary>The report of an exception: config and usage errors as they are (they name file:line and the fix), anything else as a failure of PlanBot's.</summary>
    public static ErrorReport For(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            ConfigException => new(
                "planbot.yaml is invalid",
                error.Message,
                "Each line names the file, the line and what to change. An error in this pull request's planbot.yaml is fixed by pushing a commit; one marked `(base …)` is in the default branch's planbot.yaml (its policy keys judge every pull request) and is fixed there. Nothing was planned.",
                "not planned: planbot.yaml is invalid (see the PlanBot comment)"),
            UsageException => new(
                "PlanBot could not run",
                error.Message,
                "The message says what to change. Push a fix, or comment `/planbot plan` to run again once it is fixed. Nothing was planned.",
                "not planned: " + FirstLine(error.Message)),
            _ => new(
                "PlanBot failed unexpectedly",
                $"{error.GetType().Name}: {error.Message}",
                "This is a failure of PlanBot, not of your change. Comment `/planbot plan` to run it again; if it fails the same way, report it to the operators with the run's log. Nothing was planned or applied.",
                "not planned: PlanBot failed (see the PlanBot comment)"),
        };
    }

    /// <summary>The comment's part 1 for <paramref name="report"/> on <paramref name="headSha"/>.</summary>
    /// <param name="roots">Server directories (the checkout) to make relative in the details.</param>
    public static string Render(ErrorReport report, string? headSha, string? runUrl, IEnumerable<string>? roots = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var details = Relative(report.Details, roots ?? []);
        if (details.Length > MaxDetailChars)
        {
            details = details[..MaxDetailChars] + "\n… (cut: see the run's log for the rest)";
        }

        var text = new StringBuilder();
        text.Append(MarkdownComment.Marker).Append('\n');
        text.Append("### ❌ ").Append(report.Title).Append(headSha is { Length: > 0 } ? $" (`{Common.Naming.ShortSha(headSha)}`)" : "").Append("\n\n");
        var fence = new string('`', Math.Max(3, LongestRun(details, '`') + 1));
        text.Append(fence).Append("text\n").Append(Clean(details)).Append('\n').Append(fence).Append("\n\n");
        text.Append("**How to fix it:** ").Append(report.Fix).Append('\n');
        if (runUrl is not null)
        {
            text.Append("\n[The run's log](").Append(runUrl).Append(")\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes the notice as PlanBot's plan comment (in place) and fails the gate on <paramref name="headSha"/>
    /// (skipped when the head is unknown). Throws what GitHub throws: the caller decides whether that matters.
    /// </summary>
    public static async Task PostAsync(IVcs vcs, string repo, int pullRequest, string? headSha, ErrorReport report, string? runUrl, IEnumerable<string>? roots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vcs);
        ArgumentNullException.ThrowIfNull(report);
        await PlanCommentWriter.WriteAsync(vcs, repo, pullRequest, [Render(report, headSha, runUrl, roots)], cancellationToken).ConfigureAwait(false);
        if (headSha is { Length: > 0 })
        {
            await vcs.SetStatusAsync(repo, headSha, new CommitStatus(CommitState.Failure, PullRequestWorkflow.GateContext, Trim(report.Gate), runUrl), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A status description GitHub accepts: one line, at most 140 characters.</summary>
    public static string Trim(string text)
    {
        var line = FirstLine(text);
        return line.Length <= MaxStatusChars ? line : line[..(MaxStatusChars - 1)] + "…";
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd('\r');

    /// <summary>Server paths in a message, as the repository's own (a reader has no use for the service's disk layout).</summary>
    private static string Relative(string text, IEnumerable<string> roots)
    {
        foreach (var root in roots.Where(r => r.Length > 1).OrderByDescending(r => r.Length))
        {
            var trimmed = root.TrimEnd('/', '\\');
            text = text.Replace(trimmed + "/", "", StringComparison.Ordinal).Replace(trimmed + "\\", "", StringComparison.Ordinal).Replace(trimmed, ".", StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Control and bidi characters out (lines kept): what a reader sees is what the text says.</summary>
    private static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.ReplaceLineEndings("\n"))
        {
            if (c == '\n' || c == '\t' || (!char.IsControl(c) && !IsBidi(c)))
            {
                sb.Append(c);
            }
        }

        return sb.ToString().TrimEnd();
    }

    private static bool IsBidi(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

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
