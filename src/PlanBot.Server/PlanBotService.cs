using Microsoft.Extensions.DependencyInjection;
using PlanBot.Core.Config;
using PlanBot.Core.Workflows;
using PlanBot.Hosting;
using PlanBot.Core.Common;

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
        var shared = SharedQueueFrom(settings);
        if (shared is not null)
        {
            // N replicas: every write of a delivery to GitHub is fenced by its PR's lease (registered before AddPlanBot, whose IVcs yields to it)
            services.AddSingleton<Core.Ports.IVcs>(sp => new FencedVcs(sp.GetRequiredService<GitHubConnection>().Client));
            services.AddSingleton<ISupersededCheck>(sp => new VcsSupersededCheck(sp.GetRequiredService<GitHubConnection>().Client));
        }

        services.AddPlanBot(settings);
        services.AddPlanBotServer(options, shared);
        services.AddSingleton<IDeadLetterNotice>(sp => new VcsDeadLetterNotice(sp.GetRequiredService<Core.Ports.IVcs>()));
        services.AddSingleton<DeliveryHandler>();
        services.AddSingleton<IDeliveryHandler>(sp => sp.GetRequiredService<DeliveryHandler>());
        if ((driftInterval ?? settings.Service.DriftInterval) is { } every)
        {
            var interval = ConfigValidator.TryParseDuration(every, out var parsed) && parsed > TimeSpan.Zero ? parsed
                : throw new UsageException($"--drift-interval {every}: not a duration; write e.g. 30m, 6h or 1d");
            var repos = settings.Service.DriftRepos.Count > 0 ? settings.Service.DriftRepos
                : throw new UsageException("--drift-interval needs PLANBOT_DRIFT_REPOS: the repositories to check, owner/name, comma-separated");
            services.AddHostedService(sp => new DriftSchedule(sp.GetRequiredService<DeliveryHandler>(), repos, settings.Service.CloneBaseUrl, interval, sp.GetRequiredService<IProgress<string>>(), shared?.Leases));
        }

        return services;
    }

    /// <summary>PLANBOT_QUEUE_BACKEND=azure: the shared queue, the lease table and this replica's name; null for the embedded queue.</summary>
    private static SharedQueue? SharedQueueFrom(PlanBotSettings settings)
    {
        if (ServiceQueues.Create(settings, TimeProvider.System) is not { } parts)
        {
            return null;
        }

        var visibility = TimeSpan.FromMinutes(2);
        if (settings.Service.QueueVisibility is { } text)
        {
            visibility = ConfigValidator.TryParseDuration(text, out var parsed) && parsed >= TimeSpan.FromSeconds(3) && parsed <= TimeSpan.FromHours(2) ? parsed
                : throw new UsageException($"PLANBOT_QUEUE_VISIBILITY={text}: write a duration from 3s to 2h, e.g. 2m (how soon another replica takes over the work of one that died)");
        }

        var replica = settings.Service.ReplicaId is { Length: > 0 } named ? named : $"{Environment.MachineName}-{Environment.ProcessId}";
        return new SharedQueue(parts.Queue, parts.Leases, visibility, replica, parts.PingLeases);
    }
}
