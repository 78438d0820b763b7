using System.CommandLine;
using System.Text.Json;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.GitHub.Auth;
using PlanBot.GitHub.Rest;
using PlanBot.GitHub.Webhooks;
using PlanBot.Hosting;

namespace PlanBot.Cli.Commands;

/// <summary>
/// `planbot run`: the GitHub Actions entry. Reads GITHUB_EVENT_NAME / GITHUB_EVENT_PATH and does what
/// the event asks: plan a PR, clean up a closed one, run a /planbot command. Every Action run starts
/// on an empty disk, so state lives in GitHub (locks.backend github, the default here) or in the
/// configured backend, never in a local file expected to survive.
/// </summary>
public static class RunCommand
{
    public static Command Create(CliContext cli)
    {
        var repo = new Option<string?>("--repo") { Description = "The checkout (default: GITHUB_WORKSPACE, else the current directory)" };
        var command = new Command("run", "GitHub Actions entry: act on the event that triggered the workflow") { repo };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
                : throw new UsageException($"{name} is not set: `planbot run` is the GitHub Actions entry (Actions sets GITHUB_EVENT_NAME, GITHUB_EVENT_PATH and GITHUB_REPOSITORY); locally use `planbot plan`");
            string? Optional(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

            var eventName = Env("GITHUB_EVENT_NAME");
            var eventPath = Env("GITHUB_EVENT_PATH");
            WebhookEvent webhook;
            try
            {
                webhook = WebhookParser.Parse(eventName, await File.ReadAllBytesAsync(eventPath, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                throw new UsageException($"GITHUB_EVENT_PATH {eventPath}: cannot read the {eventName} event ({e.Message})");
            }

            var repository = webhook.Repo.Length > 0 ? webhook.Repo : Env("GITHUB_REPOSITORY");
            var repoDir = Path.GetFullPath(parse.GetValue(repo) ?? Optional("GITHUB_WORKSPACE") ?? ".");
            var dataDir = OutputPaths.CheckDataDir(Optional("PLANBOT_DATA_DIR") is { } data ? Path.GetFullPath(data) : Path.Combine(Optional("RUNNER_TEMP") ?? repoDir, ".planbot"));
            var config = ConfigLoader.Load(Optional("PLANBOT_CONFIG_DIR") is { } configDir ? Path.GetFullPath(configDir, repoDir) : repoDir);
            var (vcs, _) = Connect(Optional);
            var github = !config.LocksBackendChosen || config.LocksBackend == "github";
            var locks = Stores.Locks(github ? config with { LocksBackend = "github" } : config, dataDir, TimeProvider.System, vcs, diskPerRun: true);
            var runUrl = ReportOutput.RunUrl();
            var options = CommentOptions.ForComment(config.Comments, runUrl) with
            {
                FullReportLocation = "the job summary of this run" + (runUrl is null ? "" : $" ({runUrl})"),
                FooterNote = github ? CommentOptions.GitHubLocksNote : null,
            };

            var workflows = new GitHubWorkflows(cli, vcs, locks, config, dataDir, _ => Task.FromResult(Optional("GITHUB_SHA")));
            var pullRequests = workflows.PullRequests;
            PullRequestContext Context(PullRequestInfo pr) => new() { Repo = repository, PullRequest = pr, RepoDir = repoDir, RunId = Optional("GITHUB_RUN_ID") ?? "local", RunUrl = runUrl };
            PullRequestOutcome? outcome = null;
            switch (webhook)
            {
                case WebhookEvent.PullRequestChanged changed:
                    outcome = await pullRequests.RunAsync(Context(changed.PullRequest), config, options, cancellationToken).ConfigureAwait(false);
                    break;
                case WebhookEvent.PullRequestClosed closed:
                    await new PullRequestClosedWorkflow(locks, Stores.Plans(config, dataDir), cli.Progress)
                        .RunAsync(repository, closed.PullRequest.Number, cancellationToken, closed.MergedIntoDefaultBranch && config.ApplyMode == ApplyMode.OnMerge).ConfigureAwait(false);
                    break;
                case WebhookEvent.Command slash:
                    var pr = await vcs.GetPullRequestAsync(repository, slash.Number, cancellationToken).ConfigureAwait(false);
                    outcome = await workflows.Commands.RunAsync(Context(pr), slash.Comment, config, options, cancellationToken).ConfigureAwait(false);
                    break;
                case WebhookEvent.PushToDefaultBranch push:
                    var context = new PullRequestContext { Repo = repository, PullRequest = new PullRequestInfo { Number = 0, HeadSha = push.Sha, BaseSha = push.Sha }, RepoDir = repoDir, RunId = Optional("GITHUB_RUN_ID") ?? "local", RunUrl = runUrl };
                    var applied = await workflows.Merges.RunAsync(context, push.Sha, config, cancellationToken).ConfigureAwait(false);
                    return applied is not null && applied.Any(r => r.Status is ApplyStatus.Failed) ? ExitCodes.ProjectFailed : ExitCodes.Success;
                case WebhookEvent.Scheduled:
                    return await DriftAsync(cli, vcs, repository, repoDir, dataDir, locks, config, runUrl, Optional, cancellationToken).ConfigureAwait(false);
                case WebhookEvent.Ignored ignored:
                    cli.Progress.Report($"{eventName}: {ignored.Why}; nothing to do");
                    break;
            }

            await WriteOutputsAsync(outcome, config, dataDir, runUrl, Optional, cancellationToken).ConfigureAwait(false);
            return outcome?.Report is { } report ? ExitCodes.For(report) : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>GITHUB_TOKEN, or a GitHub App (PLANBOT_GITHUB_APP_ID + PLANBOT_GITHUB_APP_PRIVATE_KEY); GITHUB_API_URL for GitHub Enterprise.</summary>
    public static (GitHubClient Client, ITokenSource Tokens) Connect(Func<string, string?> env)
    {
        var http = GitHubClient.CreateHttp(new Uri(env("GITHUB_API_URL") ?? "https://api.github.com"));
        ITokenSource tokens = env("PLANBOT_GITHUB_APP_ID") is { } appId
            ? new GitHubAppTokens(http, appId, env("PLANBOT_GITHUB_APP_PRIVATE_KEY") ?? throw new UsageException("PLANBOT_GITHUB_APP_ID is set but PLANBOT_GITHUB_APP_PRIVATE_KEY is not"), TimeProvider.System)
            : new StaticToken(env("GITHUB_TOKEN") ?? throw new UsageException("GITHUB_TOKEN is not set: pass `token: ${{ secrets.GITHUB_TOKEN }}` to the action, or set PLANBOT_GITHUB_APP_ID and PLANBOT_GITHUB_APP_PRIVATE_KEY"));
        return (new GitHubClient(http, tokens), tokens);
    }

    /// <summary>schedule / workflow_dispatch: the drift check, the drift issue kept in step, the job summary and `drifted-projects`.</summary>
    private static async Task<int> DriftAsync(CliContext cli, GitHubClient vcs, string repository, string repoDir, string dataDir, ILockStore locks, PlanBotConfig config, string? runUrl,
        Func<string, string?> env, CancellationToken cancellationToken)
    {
        var issues = new DriftIssueWorkflow(vcs);
        var (open, firstSeen) = await issues.ReadAsync(repository, cancellationToken).ConfigureAwait(false);
        var report = await DriftCommand.RunAsync(cli, repoDir, [], dataDir, locks, env("GITHUB_RUN_ID") ?? "drift", firstSeen, cancellationToken).ConfigureAwait(false);
        var options = CommentOptions.ForComment(config.Comments, runUrl);
        var action = await issues.SyncAsync(repository, report, open, options, cancellationToken).ConfigureAwait(false);
        cli.Progress.Report($"drift issue: {action.ToString().ToLowerInvariant()}");
        Directory.CreateDirectory(dataDir);
        var reportPath = Path.Combine(dataDir, "drift.json");
        await File.WriteAllTextAsync(reportPath, DriftCommand.Json(report) + "\n", cancellationToken).ConfigureAwait(false);
        if (env("GITHUB_STEP_SUMMARY") is { } summary)
        {
            await File.AppendAllTextAsync(summary, DriftMarkdown.Render(report, options with { MaxChars = CommentOptions.JobSummaryMaxChars }), cancellationToken).ConfigureAwait(false);
        }

        if (env("GITHUB_OUTPUT") is { } output)
        {
            await File.AppendAllTextAsync(output, $"drifted-projects={string.Join(',', report.Drifted.Select(p => p.Name))}\nreport-path={reportPath}\n", cancellationToken).ConfigureAwait(false);
        }

        return report.ExitCode;
    }

    /// <summary>The JSON report, the job summary (GITHUB_STEP_SUMMARY) and the Action outputs (GITHUB_OUTPUT).</summary>
    private static async Task WriteOutputsAsync(PullRequestOutcome? outcome, PlanBotConfig config, string dataDir, string? runUrl, Func<string, string?> env, CancellationToken cancellationToken)
    {
        string? reportPath = null;
        if (outcome?.Report is { } report)
        {
            Directory.CreateDirectory(dataDir);
            reportPath = Path.Combine(dataDir, "report.json");
            await File.WriteAllTextAsync(reportPath, JsonReport.Serialize(report) + "\n", cancellationToken).ConfigureAwait(false);
            if (env("GITHUB_STEP_SUMMARY") is { } summary)
            {
                await File.AppendAllTextAsync(summary, MarkdownComment.Render(report, CommentOptions.ForJobSummary(config.Comments, runUrl))[0], cancellationToken).ConfigureAwait(false);
            }
        }

        if (env("GITHUB_OUTPUT") is { } output)
        {
            var changes = outcome?.Report?.Projects.Any(p => p.Plan?.HasChanges == true) == true;
            var approval = outcome?.Report?.Projects.Any(p => p.Approval.Required && p.ApprovedBy.Count == 0) == true;
            await File.AppendAllTextAsync(output, $"has-changes={(changes ? "true" : "false")}\nneeds-approval={(approval ? "true" : "false")}\nreport-path={reportPath}\n", cancellationToken).ConfigureAwait(false);
        }
    }
}
