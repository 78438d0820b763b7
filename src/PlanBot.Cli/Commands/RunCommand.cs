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
        var phase = new Option<string?>("--phase") { Description = "single (default): plan and report in this job; matrix, plan, gather: the jobs of a fanned-out plan; apply-matrix, apply, apply-gather: the jobs of a fanned-out apply after merge (docs/deployment.md). Default: PLANBOT_PHASE" };
        var projects = new Option<string?>("--projects") { Description = "--phase plan or apply: the matrix entry's projects, a JSON array (toJSON(matrix.projects)). Default: PLANBOT_FANOUT_PROJECTS" };
        var maxJobs = new Option<string?>("--max-jobs") { Description = $"--phase matrix: past this many projects, batch them (default {FanOutMatrix.DefaultMaxJobs}, at most {FanOutMatrix.MaxJobsLimit}). Default: PLANBOT_FANOUT_MAX_JOBS" };
        var command = new Command("run", "GitHub Actions entry: act on the event that triggered the workflow") { repo, phase, projects, maxJobs };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var action = cli.Settings.Action;
            var settings = (cli.Settings with { Host = PlanBotHost.Action, Action = action with { Workspace = Path.GetFullPath(parse.GetValue(repo) ?? action.Workspace ?? ".") } }).WithServerPolicy();
            var planBotEvent = ReadEvent(settings.Action);
            cli.Trace?.Mark("event read");
            if (settings.Policy?.Refusal(planBotEvent.Repo) is { } refused)
            {
                throw new ConfigException(refused); // allowed_repositories: before decide-only or any other work; exit 2
            }

            if (planBotEvent is PlanBotEvent.PullRequestChanged)
            {
                WarmUp.Start(); // its plans hash, and its git and HTTP calls set timeouts, before the first terraform starts
            }

            await using var services = cli.Services(settings);
            if (settings.Action.DecideOnly)
            {
                // the gate before the PR's checkout (action/commands.yml): the checkout is the default branch, so its planbot.yaml is trusted
                return await DecideCommand.RunAsync(cli, services.GetRequiredService<IVcs>(), planBotEvent, settings.LoadConfig(settings.Action.Workspace!).Config, settings.Action.Output, cancellationToken).ConfigureAwait(false);
            }

            var fanOut = FanOutOf(parse.GetValue(phase) ?? settings.Action.Phase, parse.GetValue(projects) ?? settings.Action.FanOutProjects);
            var maxJobCount = MaxJobs(parse.GetValue(maxJobs) ?? settings.Action.FanOutMaxJobs);
            if (fanOut is not null && string.IsNullOrWhiteSpace(settings.PlanKey))
            {
                throw new UsageException(FanOutPlans.PlanKeyMissing(PhaseName(fanOut.Phase)));
            }

            if (fanOut is { Phase: FanOutPhase.ApplyMatrix or FanOutPhase.Apply or FanOutPhase.ApplyGather } && planBotEvent is not PlanBotEvent.PushToDefaultBranch)
            {
                await cli.Stderr.WriteLineAsync($"planbot: --phase {PhaseName(fanOut.Phase)} acts on a push to the default branch only; nothing to do for {settings.Action.EventName}");
                return ExitCodes.Success;
            }

            IReadOnlyList<IReadOnlyList<string>> applyLevels = [];
            if (fanOut is { Phase: FanOutPhase.ApplyMatrix })
            {
                fanOut = fanOut with { OnApplyLevels = levels => applyLevels = levels };
            }

            if (fanOut is { Phase: FanOutPhase.Plan or FanOutPhase.Gather } && planBotEvent is not PlanBotEvent.PullRequestChanged)
            {
                // the matrix job ran this event as a single job would (a closed PR's cleanup): nothing is left to plan or gather
                await cli.Stderr.WriteLineAsync($"planbot: --phase {fanOut.Phase.ToString().ToLowerInvariant()} acts on pull_request events only; nothing to do for {settings.Action.EventName}");
                return ExitCodes.Success;
            }

            var runUrl = settings.Action.RunUrl;
            var run = new EventRun(settings.Action.RunId ?? "local", runUrl, "the job summary of this run" + (runUrl is null ? "" : $" ({runUrl})"))
            {
                FanOut = planBotEvent is PlanBotEvent.PullRequestChanged || fanOut?.Phase is FanOutPhase.ApplyMatrix or FanOutPhase.Apply or FanOutPhase.ApplyGather ? fanOut : null,
            };
            var dispatcher = services.GetRequiredService<EventDispatcher>();
            cli.Trace?.Mark("engine built");
            var outcome = await dispatcher.DispatchAsync(planBotEvent, run, cancellationToken).ConfigureAwait(false);
            cli.Trace?.Mark("event dispatched");
            var config = outcome.Config?.Config ?? PlanBotConfig.Default;
            if (fanOut?.Phase is FanOutPhase.ApplyMatrix)
            {
                await WriteApplyMatrixAsync(applyLevels, maxJobCount, settings, cancellationToken).ConfigureAwait(false);
            }

            if (fanOut?.Phase is FanOutPhase.Matrix)
            {
                return await WriteMatrixAsync(run.FanOut is null ? null : outcome.PullRequest, maxJobCount, settings, cancellationToken).ConfigureAwait(false);
            }

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

    /// <summary>The phase of a fanned-out plan or apply; null: a single job.</summary>
    private static FanOutRun? FanOutOf(string? phase, string? projects)
    {
        var parsed = (phase ?? "single").Trim().ToLowerInvariant() switch
        {
            "single" => FanOutPhase.Single,
            "matrix" => FanOutPhase.Matrix,
            "plan" => FanOutPhase.Plan,
            "gather" => FanOutPhase.Gather,
            "apply-matrix" => FanOutPhase.ApplyMatrix,
            "apply" => FanOutPhase.Apply,
            "apply-gather" => FanOutPhase.ApplyGather,
            _ => throw new UsageException($"--phase '{phase}': use single (the default), matrix, plan, gather, apply-matrix, apply or apply-gather (see docs/deployment.md, fan-out on GitHub Actions)"),
        };
        if (parsed is FanOutPhase.Plan or FanOutPhase.Apply)
        {
            return new FanOutRun { Phase = parsed, Projects = FanOutMatrix.ParseProjects(projects ?? throw new UsageException($"--phase {PhaseName(parsed)} needs --projects (the action's projects input): the matrix entry's projects, ${{{{ toJSON(matrix.projects) }}}}")) };
        }

        return parsed == FanOutPhase.Single ? null : new FanOutRun { Phase = parsed };
    }

    private static string PhaseName(FanOutPhase phase) => phase switch
    {
        FanOutPhase.ApplyMatrix => "apply-matrix",
        FanOutPhase.ApplyGather => "apply-gather",
        _ => phase.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The apply matrix job's outputs: <c>apply-levels</c> (every level's batches, one line of JSON),
    /// <c>levels</c> (how many), and <c>level1</c> … <c>level{ApplyLevelJobs}</c>, each its level's batches
    /// (<c>[]</c>: skip that job). Levels past the last job are all given to it as one batch, which
    /// applies them in order (<see cref="ApplyFanOut.JobLevels"/>).
    /// </summary>
    private static async Task WriteApplyMatrixAsync(IReadOnlyList<IReadOnlyList<string>> levels, int maxJobs, PlanBotSettings settings, CancellationToken cancellationToken)
    {
        var jobs = ApplyFanOut.JobLevels(levels, maxJobs);
        var all = ApplyFanOut.Json(FanOutMatrix.Entries(levels, maxJobs).GroupBy(e => e.Level).Select(g => (IReadOnlyList<IReadOnlyList<string>>)[.. g.Select(e => e.Projects)]).ToArray());
        var lines = new System.Text.StringBuilder($"apply-levels={all}\nlevels={levels.Count}\n");
        for (var i = 0; i < jobs.Count; i++)
        {
            lines.Append(System.Globalization.CultureInfo.InvariantCulture, $"level{i + 1}={ApplyFanOut.Json(jobs[i])}\n");
        }

        if (settings.Action.Output is { } output)
        {
            await File.AppendAllTextAsync(output, MaskingWriter.Scrub(lines.ToString(), settings.Secrets), cancellationToken).ConfigureAwait(false);
        }

        if (settings.Action.StepSummary is { } summary)
        {
            var rows = levels.Select((l, i) => $"| {i + 1} | {string.Join(", ", l.Select(p => $"`{p}`"))} |");
            await File.AppendAllTextAsync(summary, MaskingWriter.Scrub($"### PlanBot apply matrix: {levels.Count} level(s)\n\n| level | projects |\n|---|---|\n{string.Join("\n", rows)}\n", settings.Secrets), cancellationToken).ConfigureAwait(false);
        }
    }

    private static int MaxJobs(string? text) =>
        text is null ? FanOutMatrix.DefaultMaxJobs
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= FanOutMatrix.MaxJobsLimit ? n
        : throw new UsageException($"--max-jobs '{text}': a whole number from 1 to {FanOutMatrix.MaxJobsLimit}");

    /// <summary>
    /// The matrix job's outputs: <c>matrix</c> (one line of JSON), <c>count</c> (its entries; 0: skip the
    /// plan jobs, the gather still reports) and <c>levels</c>. Also in the job summary.
    /// </summary>
    private static async Task<int> WriteMatrixAsync(PullRequestOutcome? outcome, int maxJobs, PlanBotSettings settings, CancellationToken cancellationToken)
    {
        var entries = outcome?.Report is { } report ? FanOutMatrix.Entries(report.Levels, maxJobs) : [];
        var levels = entries.Count == 0 ? 0 : entries.Max(e => e.Level);
        var json = FanOutMatrix.Json(entries);
        if (settings.Action.Output is { } output)
        {
            await File.AppendAllTextAsync(output, MaskingWriter.Scrub($"matrix={json}\ncount={entries.Count}\nlevels={levels}\n", settings.Secrets), cancellationToken).ConfigureAwait(false);
        }

        if (settings.Action.StepSummary is { } summary)
        {
            var lines = entries.Select(e => $"| {e.Id} | {e.Level} | {string.Join(", ", e.Projects.Select(p => $"`{p}`"))} |");
            await File.AppendAllTextAsync(summary, MaskingWriter.Scrub($"### PlanBot matrix: {entries.Count} job(s), {levels} level(s)\n\n| job | level | projects |\n|---|---|---|\n{string.Join("\n", lines)}\n", settings.Secrets), cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The event file as the engine's event; the repository from the payload, else GITHUB_REPOSITORY. Read
    /// synchronously: a file read asynchronously goes through the thread pool, whose first use starts its
    /// threads while the run waits (~3–4 ms of the ~8 ms this phase took in the NativeAOT binary, issue 19).
    /// </summary>
    private static PlanBotEvent ReadEvent(ActionSettings action)
    {
        var eventName = ActionSettings.Required(action.EventName, "GITHUB_EVENT_NAME");
        var eventPath = ActionSettings.Required(action.EventPath, "GITHUB_EVENT_PATH");
        WebhookEvent webhook;
        try
        {
            webhook = WebhookParser.Parse(eventName, ReadEventFile(eventPath));
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"GITHUB_EVENT_PATH {eventPath}: cannot read the {eventName} event ({e.Message})");
        }

        var repository = webhook.Repo.Length > 0 ? webhook.Repo : ActionSettings.Required(action.Repository, "GITHUB_REPOSITORY");
        return GitHubEvents.ToEvent(webhook) with { Repo = repository };
    }

    /// <summary>GitHub caps a webhook payload at 25 MB (the service refuses a larger body the same way: ServerOptions.MaxBodyBytes).</summary>
    internal const int MaxEventBytes = 25 * 1024 * 1024;

    /// <summary>
    /// The event file's bytes, refused when over <see cref="MaxEventBytes"/> before any is read: its length when
    /// it has one, else (a pipe, a device) as soon as what was read passes the cap. A file GitHub could not have
    /// written must not make the run allocate whatever it holds.
    /// </summary>
    private static byte[] ReadEventFile(string eventPath)
    {
        using var file = new FileStream(eventPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        if (file.CanSeek && file.Length > MaxEventBytes)
        {
            throw TooLarge(eventPath, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{file.Length:N0} bytes"));
        }

        using var content = new MemoryStream(file.CanSeek ? (int)file.Length : 0); // a /proc file says 0 and still has content: it grows
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = file.Read(chunk)) > 0)
        {
            if (content.Length + read > MaxEventBytes)
            {
                throw TooLarge(eventPath, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"more than {MaxEventBytes:N0} bytes"));
            }

            content.Write(chunk, 0, read);
        }

        return content.Length == content.Capacity ? content.GetBuffer() : content.ToArray();
    }

    private static UsageException TooLarge(string eventPath, string size) =>
        new(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"GITHUB_EVENT_PATH {eventPath} is {size}, over the {MaxEventBytes:N0} bytes (25 MB) GitHub caps an event payload at; point GITHUB_EVENT_PATH at the event file the runner wrote"));

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
