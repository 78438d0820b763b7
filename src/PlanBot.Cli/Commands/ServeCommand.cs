using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using PlanBot.Hosting;
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
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            builder.Services.AddSingleton(cli.Progress);
            builder.Services.AddPlanBotService(cli.Settings, parse.GetValue(concurrency), parse.GetValue(driftInterval));
            await using var app = builder.Build();
            _ = app.Services.GetRequiredService<GitHubConnection>(); // no credentials: refuse to start, rather than fail every delivery
            WebhookEndpoints.Map(app);
            cli.Progress.Report($"serve: listening on {parse.GetValue(urls)}, data in {cli.Settings.DataDir}");
            using var stop = cancellationToken.Register(app.Lifetime.StopApplication);
            await app.RunAsync().ConfigureAwait(false); // SIGTERM and Ctrl-C stop it gracefully: queued work stays queued
            return ExitCodes.Success;
        });
        return command;
    }
}
