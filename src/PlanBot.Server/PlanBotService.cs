using Microsoft.Extensions.DependencyInjection;
using PlanBot.Core.Config;
using PlanBot.Core.Workflows;
using PlanBot.Hosting;

namespace PlanBot.Server;

/// <summary>`planbot serve`'s services: the engine (<see cref="PlanBotServices.AddPlanBot"/>), the webhook intake and worker, the delivery handler and the drift schedule.</summary>
public static class PlanBotService
{
    /// <param name="driftInterval">--drift-interval, else PLANBOT_DRIFT_INTERVAL; null: no scheduled drift checks.</param>
    /// <exception cref="UsageException">A setting the service needs is missing or malformed.</exception>
    public static IServiceCollection AddPlanBotService(this IServiceCollection services, PlanBotSettings settings, int concurrency, string? driftInterval)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings = settings with { Host = PlanBotHost.Service };
        var options = new ServerOptions
        {
            WebhookSecret = settings.Service.WebhookSecret ?? throw new UsageException("PLANBOT_WEBHOOK_SECRET is required by `planbot serve`: set it to the webhook's secret (comma-separated while rotating)"),
            DataDir = settings.DataDir,
            Concurrency = Math.Clamp(concurrency, 1, 64),
        }.WithQueueEnvironment(name => name switch
        {
            "PLANBOT_QUEUE_MAX_ATTEMPTS" => settings.Service.QueueMaxAttempts,
            "PLANBOT_QUEUE_OUTAGE_RETRIES" => settings.Service.QueueOutageRetries,
            _ => null,
        });
        services.AddPlanBot(settings);
        services.AddPlanBotServer(options);
        services.AddSingleton<IDeadLetterNotice>(sp => new VcsDeadLetterNotice(sp.GetRequiredService<Core.Ports.IVcs>()));
        services.AddSingleton<DeliveryHandler>();
        services.AddSingleton<IDeliveryHandler>(sp => sp.GetRequiredService<DeliveryHandler>());
        if ((driftInterval ?? settings.Service.DriftInterval) is { } every)
        {
            var interval = ConfigValidator.TryParseDuration(every, out var parsed) && parsed > TimeSpan.Zero ? parsed
                : throw new UsageException($"--drift-interval {every}: not a duration; write e.g. 30m, 6h or 1d");
            var repos = settings.Service.DriftRepos.Count > 0 ? settings.Service.DriftRepos
                : throw new UsageException("--drift-interval needs PLANBOT_DRIFT_REPOS: the repositories to check, owner/name, comma-separated");
            services.AddHostedService(sp => new DriftSchedule(sp.GetRequiredService<DeliveryHandler>(), repos, settings.Service.CloneBaseUrl, interval, sp.GetRequiredService<IProgress<string>>()));
        }

        return services;
    }
}
