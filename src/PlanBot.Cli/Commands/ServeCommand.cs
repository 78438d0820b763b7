using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PlanBot.Core.Workflows;
using PlanBot.Server;

namespace PlanBot.Cli.Commands;

/// <summary>`planbot serve`: the webhook service (POST /webhooks/github, GET /healthz) over the same engine as the Action.</summary>
public static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://0.0.0.0:8080" };
        var concurrency = new Option<int>("--concurrency") { Description = "Pull requests handled at once", DefaultValueFactory = _ => 4 };
        var driftInterval = new Option<string?>("--drift-interval") { Description = "Check these repositories for drift this often (e.g. 6h); the repositories are PLANBOT_DRIFT_REPOS (owner/name, comma-separated)" };
        var command = new Command("serve", "Run the webhook service: POST /webhooks/github, GET /healthz") { urls, concurrency, driftInterval };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
            OutputPaths.CheckUrls(parse.GetValue(urls)!);
            var options = new ServerOptions
            {
                WebhookSecret = Env("PLANBOT_WEBHOOK_SECRET") ?? throw new UsageException("PLANBOT_WEBHOOK_SECRET is required by `planbot serve`: set it to the webhook's secret (comma-separated while rotating)"),
                DataDir = Engine.DataDir,
                Concurrency = Math.Clamp(parse.GetValue(concurrency), 1, 64),
            };
            var (vcs, tokens) = RunCommand.Connect(Env);

            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            builder.Services.AddPlanBotServer(options);
            var handler = new ServiceHandler(cli, vcs, tokens, options.DataDir, Env("PLANBOT_ALLOW_FILE_CLONE") == "1");
            builder.Services.AddSingleton<IDeliveryHandler>(handler);
            if ((parse.GetValue(driftInterval) ?? Env("PLANBOT_DRIFT_INTERVAL")) is { } every)
            {
                var interval = Core.Config.ConfigValidator.TryParseDuration(every, out var parsed) && parsed > TimeSpan.Zero ? parsed
                    : throw new UsageException($"--drift-interval {every}: not a duration; write e.g. 30m, 6h or 1d");
                var repos = (Env("PLANBOT_DRIFT_REPOS") ?? throw new UsageException("--drift-interval needs PLANBOT_DRIFT_REPOS: the repositories to check, owner/name, comma-separated"))
                    .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var cloneBase = Env("PLANBOT_CLONE_BASE_URL") ?? "https://github.com/";
                builder.Services.AddHostedService(_ => new DriftSchedule(handler, repos, cloneBase, interval, cli));
            }

            await using var app = builder.Build();
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

            cli.Progress.Report($"serve: listening on {parse.GetValue(urls)}, data in {options.DataDir}");
            using var stop = cancellationToken.Register(app.Lifetime.StopApplication);
            await app.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false); // SIGTERM and Ctrl-C stop it gracefully: queued work stays queued
            return ExitCodes.Success;
        });
        return command;
    }
}
