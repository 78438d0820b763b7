using PlanBot.Core.Runs;
using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PlanBot.Core.Config;
using PlanBot.Core.Events;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.GitHub.Webhooks;
using PlanBot.Hosting;
using PlanBot.Core.Common;

namespace PlanBot.Cli.Commands;

/// <summary>
/// `planbot run`: the GitHub Actions entry. The event file (GITHUB_EVENT_NAME / GITHUB_EVENT_PATH)
/// becomes the engine's event, <see cref="EventDispatcher"/> runs its workflow, and the outcome
/// becomes the Action's outputs and the exit code. Every Action run starts on an empty disk, so state
/// lives in GitHub (locks.backend github, the default here) or in the configured backend.
/// </summary>
public static class RunCommand
{
    public static Command Create(CliContext cli)
    {
        var repo = new Option<string?>("--repo") { Description = "The checkout (default: GITHUB_WORKSPACE, else the current directory)" };
        var command = new Command("run", "GitHub Actions entry: act on the event that triggered the workflow") { repo };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var action = cli.Settings.Action;
            var settings = (cli.Settings with { Host = PlanBotHost.Action, Action = action with { Workspace = Path.GetFullPath(parse.GetValue(repo) ?? action.Workspace ?? ".") } }).WithServerPolicy();
            var planBotEvent = await ReadEventAsync(settings.Action, cancellationToken).ConfigureAwait(false);
            cli.Trace?.Mark("event read");
            await using var services = cli.Services(settings);
            if (settings.Action.DecideOnly)
            {
                // the gate before the PR's checkout (action/commands.yml): the checkout is the default branch, so its planbot.yaml is trusted
                return await DecideCommand.RunAsync(cli, services.GetRequiredService<IVcs>(), planBotEvent, settings.LoadConfig(settings.Action.Workspace!).Config, settings.Action.Output, cancellationToken).ConfigureAwait(false);
            }

            var runUrl = settings.Action.RunUrl;
            var run = new EventRun(settings.Action.RunId ?? "local", runUrl, "the job summary of this run" + (runUrl is null ? "" : $" ({runUrl})"));
            var outcome = await services.GetRequiredService<EventDispatcher>().DispatchAsync(planBotEvent, run, cancellationToken).ConfigureAwait(false);
            cli.Trace?.Mark("event dispatched");
            var config = outcome.Config?.Config ?? PlanBotConfig.Default;
            switch (planBotEvent)
            {
                case PlanBotEvent.PushToDefaultBranch:
                    return outcome.Applied is { } applied && applied.Any(r => r.Status is ApplyStatus.Failed) ? ExitCodes.ProjectFailed : ExitCodes.Success;
                case PlanBotEvent.DriftCheck when outcome.Drift is { } drift:
                    await WriteDriftOutputsAsync(drift, config, settings, cancellationToken).ConfigureAwait(false);
                    return drift.ExitCode;
                default:
                    await WriteOutputsAsync(outcome.PullRequest, config, settings, cancellationToken).ConfigureAwait(false);
                    return outcome.PullRequest?.Report is { } report ? ExitCodes.For(report) : ExitCodes.Success;
            }
        });
        return command;
    }

    /// <summary>The event file as the engine's event; the repository from the payload, else GITHUB_REPOSITORY.</summary>
    private static async Task<PlanBotEvent> ReadEventAsync(ActionSettings action, CancellationToken cancellationToken)
    {
        var eventName = ActionSettings.Required(action.EventName, "GITHUB_EVENT_NAME");
        var eventPath = ActionSettings.Required(action.EventPath, "GITHUB_EVENT_PATH");
        WebhookEvent webhook;
        try
        {
            webhook = WebhookParser.Parse(eventName, await File.ReadAllBytesAsync(eventPath, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new UsageException($"GITHUB_EVENT_PATH {eventPath}: cannot read the {eventName} event ({e.Message})");
        }

        var repository = webhook.Repo.Length > 0 ? webhook.Repo : ActionSettings.Required(action.Repository, "GITHUB_REPOSITORY");
        return GitHubEvents.ToEvent(webhook) with { Repo = repository };
    }

    /// <summary>schedule / workflow_dispatch: drift.json, the job summary and `drifted-projects`.</summary>
    private static async Task WriteDriftOutputsAsync(DriftReport report, PlanBotConfig config, PlanBotSettings settings, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.DataDir);
        var reportPath = Path.Combine(settings.DataDir, "drift.json");
        await File.WriteAllTextAsync(reportPath, MaskingWriter.Scrub(DriftCommand.Json(report) + "\n", settings.Secrets), cancellationToken).ConfigureAwait(false);
        if (settings.Action.StepSummary is { } summary)
        {
            var options = CommentOptions.ForComment(config.Comments, settings.Action.RunUrl) with { MaxChars = CommentOptions.JobSummaryMaxChars };
            await File.AppendAllTextAsync(summary, MaskingWriter.Scrub(DriftMarkdown.Render(report, options), settings.Secrets), cancellationToken).ConfigureAwait(false);
        }

        if (settings.Action.Output is { } output)
        {
            await File.AppendAllTextAsync(output, MaskingWriter.Scrub($"drifted-projects={string.Join(',', report.Drifted.Select(p => p.Name))}\nreport-path={reportPath}\n", settings.Secrets), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The JSON report, the job summary (GITHUB_STEP_SUMMARY) and the Action outputs (GITHUB_OUTPUT).</summary>
    private static async Task WriteOutputsAsync(PullRequestOutcome? outcome, PlanBotConfig config, PlanBotSettings settings, CancellationToken cancellationToken)
    {
        string? reportPath = null;
        if (outcome?.Report is { } report)
        {
            Directory.CreateDirectory(settings.DataDir);
            reportPath = Path.Combine(settings.DataDir, "report.json");
            await File.WriteAllTextAsync(reportPath, MaskingWriter.Scrub(JsonReport.Serialize(report) + "\n", settings.Secrets), cancellationToken).ConfigureAwait(false);
            if (settings.Action.StepSummary is { } summary)
            {
                await File.AppendAllTextAsync(summary, MaskingWriter.Scrub(MarkdownComment.Render(report, CommentOptions.ForJobSummary(config.Comments, settings.Action.RunUrl))[0], settings.Secrets), cancellationToken).ConfigureAwait(false);
            }
        }

        if (settings.Action.Output is { } output)
        {
            var changes = outcome?.Report?.Projects.Any(p => p.Plan?.HasChanges == true) == true;
            var approval = outcome?.Report?.Projects.Any(p => p.Approval.Required && p.ApprovedBy.Count == 0) == true;
            await File.AppendAllTextAsync(output, MaskingWriter.Scrub($"has-changes={(changes ? "true" : "false")}\nneeds-approval={(approval ? "true" : "false")}\nreport-path={reportPath}\n", settings.Secrets), cancellationToken).ConfigureAwait(false);
        }
    }
}
