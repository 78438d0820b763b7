using PlanBot.Core.Runs;
using System.CommandLine;
using PlanBot.Core.Config;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;

namespace PlanBot.Cli.Commands;

/// <summary>Where a run's report goes: the comment on stdout, and the files the output options name.</summary>
public sealed class ReportOutput
{
    public Option<string?> CommentOut { get; } = new("--comment-out") { Description = "Write the comment parts here, each starting with its marker line" };
    public Option<string?> JsonOut { get; } = new("--json-out") { Description = "Write the JSON report here" };
    public Option<string?> SummaryOut { get; } = new("--summary-out") { Description = "Write the job summary (the fuller report, up to 1 MiB) here; in Actions it is appended to GITHUB_STEP_SUMMARY" };

    public void AddTo(Command command)
    {
        command.Options.Add(CommentOut);
        command.Options.Add(JsonOut);
        command.Options.Add(SummaryOut);
    }

    /// <summary>Fails (exit 2) before any work when an output file cannot be written.</summary>
    public void CheckWritable(ParseResult parse) =>
        OutputPaths.CheckFiles(("--comment-out", parse.GetValue(CommentOut)), ("--json-out", parse.GetValue(JsonOut)), ("--summary-out", parse.GetValue(SummaryOut)));

    public async Task WriteAsync(CliContext cli, ParseResult parse, RunReport report, CommentSettings settings, CancellationToken cancellationToken)
    {
        var runUrl = cli.Settings.Action.RunUrl;
        var summaryFile = parse.GetValue(SummaryOut);
        var stepSummary = cli.Settings.Action.StepSummary;
        var options = CommentOptions.ForComment(settings, runUrl);
        if (summaryFile is not null || stepSummary is not null)
        {
            options = options with { FullReportLocation = "the job summary of this run" + (runUrl is null ? "" : $" ({runUrl})") };
        }

        var markdown = string.Join("\n", MarkdownComment.Render(report, options));
        await cli.Stdout.WriteAsync(markdown).ConfigureAwait(false);
        if (parse.GetValue(CommentOut) is { } commentFile)
        {
            await File.WriteAllTextAsync(commentFile, MaskingWriter.Scrub(markdown, cli.Settings.Secrets), cancellationToken).ConfigureAwait(false);
        }

        if (parse.GetValue(JsonOut) is { } jsonFile)
        {
            await File.WriteAllTextAsync(jsonFile, MaskingWriter.Scrub(JsonReport.Serialize(report) + "\n", cli.Settings.Secrets), cancellationToken).ConfigureAwait(false);
        }

        if (summaryFile is not null || stepSummary is not null)
        {
            var summary = MarkdownComment.Render(report, CommentOptions.ForJobSummary(settings, runUrl))[0];
            if (summaryFile is not null)
            {
                await File.WriteAllTextAsync(summaryFile, MaskingWriter.Scrub(summary, cli.Settings.Secrets), cancellationToken).ConfigureAwait(false);
            }

            if (stepSummary is not null)
            {
                await File.AppendAllTextAsync(stepSummary, MaskingWriter.Scrub(summary, cli.Settings.Secrets), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
