using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PlanBot.Core.Workflows;
using PlanBot.Hosting;
using PlanBot.Server;
using PlanBot.Core.Common;

namespace PlanBot.Cli.Commands;

/// <summary>`planbot serve`: the webhook service (POST /webhooks/github, GET /healthz) over the same engine as the Action.</summary>
public static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://0.0.0.0:8080" };
        var concurrency = new Option<int>("--concurrency") { Description = "Pull requests handled at once", DefaultValueFactory = _ => 4 };
        var driftInterval = new Option<string?>("--drift-interval") { Description = "Check these repositories for drift this often (e.g. 6h); the repositories are PLANBOT_DRIFT_REPOS (owner/name, comma-separated)" };
        var policy = new Option<string?>("--policy") { Description = "The server policy: a YAML file with planbot.yaml's policy keys that every repository's planbot.yaml can only tighten (default: PLANBOT_POLICY_FILE)" };
        var command = new Command("serve", "Run the webhook service: POST /webhooks/github, GET /healthz") { urls, concurrency, driftInterval, policy };
        command.SetAction(async (parse, cancellationToken) =>
        {
            OutputPaths.CheckUrls(parse.GetValue(urls)!);
            var settings = cli.Settings.WithServerPolicy(parse.GetValue(policy)); // validated before listening: a bad policy is exit 2 with file:line
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            builder.Services.AddSingleton(cli.Progress);
            try
            {
                builder.Services.AddPlanBotService(settings, parse.GetValue(concurrency), parse.GetValue(driftInterval)); // opens state/queue.db
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode is 26 or 11) // SQLITE_NOTADB, SQLITE_CORRUPT
            {
                // not a bug and not to be retried: the operator's to recover, as docs/deployment.md says
                var queue = Path.Combine(settings.DataDir, "state", "queue.db");
                throw new UsageException($"{queue} is damaged ({e.Message.Split('\n')[0].TrimEnd('.')}): stop the service, move it aside (mv {queue} {queue}.damaged) and start again; deliveries still queued in it are lost, GitHub's Redeliver sends them again");
            }

            await using var app = builder.Build();
            _ = app.Services.GetRequiredService<GitHubConnection>(); // no credentials: refuse to start, rather than fail every delivery
            WebhookEndpoints.Map(app);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // Kestrel's "address already in use": the user's to fix, not a bug; say so before claiming to listen.
                throw new UsageException($"--urls {parse.GetValue(urls)}: cannot listen ({e.Message.Split('\n')[0].TrimEnd('.')}); stop what holds the port or choose another with --urls");
            }

            cli.Progress.Report($"serve: listening on {parse.GetValue(urls)}, data in {settings.DataDir}{(settings.Policy is { } p ? $", server policy {p.File}" : "")}");
            using var stop = cancellationToken.Register(app.Lifetime.StopApplication);
            await app.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false); // SIGTERM and Ctrl-C stop it gracefully: queued work stays queued
            return ExitCodes.Success;
        });
        return command;
    }
}
