using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Octokit.Webhooks;
using Octokit.Webhooks.AspNetCore;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// POST /webhooks/github on Octokit.Webhooks.AspNetCore behind <see cref="WebhookGate"/>: 413 over the
/// size cap (while reading); 401 without a valid X-Hub-Signature-256 (any configured secret); 415
/// not JSON; 400 missing delivery headers or an unreadable payload; 204 events PlanBot does not act
/// on; 200 a delivery id seen before (run once); otherwise stored in the queue and answered 202
/// before any work starts. GET /healthz (liveness: the process serves) and GET /readyz (readiness:
/// 503 while the queue, or the shared lease store, cannot be reached, so a load balancer sends
/// deliveries to a replica that can store them).
/// </summary>
public static class WebhookEndpoints
{
    public const string Path = "/webhooks/github";

    public static void Map(WebApplication app)
    {
        app.UseMiddleware<WebhookGate>();
        app.MapGitHubWebhooks(Path);
        app.MapGet("/healthz", (IServiceProvider services) => services.GetService<SharedQueue>() is { } shared
            ? Results.Json(new { status = "ok", queue = shared.Queue.Name, replica = shared.Replica })
            : services.GetRequiredService<DeliveryQueue>() is var queue
                ? Results.Json(new { status = "ok", queued = queue.Count("queued"), running = queue.Count("running"), parked = queue.Count("parked"), failed = queue.Count("failed") })
                : Results.StatusCode(500));
        app.MapGet("/readyz", ReadyAsync);
    }

    /// <summary>Ready when the queue (and the shared lease store) answer within 5 s; the reason otherwise.</summary>
    private static async Task<IResult> ReadyAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            if (services.GetService<SharedQueue>() is { } shared)
            {
                await shared.Queue.PingAsync(timeout.Token).ConfigureAwait(false);
                await shared.PingLeases(timeout.Token).ConfigureAwait(false);
            }
            else
            {
                _ = services.GetRequiredService<DeliveryQueue>().Count("queued");
            }

            return Results.Json(new { status = "ready" });
        }
#pragma warning disable CA1031 // any failure to reach the queue means: not ready, with the reason
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return Results.Json(new { status = "not ready", reason = $"the queue or lease store cannot be reached: {e.GetType().Name}: {e.Message}" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
#pragma warning restore CA1031
    }

    /// <summary>The service's parts, registered in one place; the caller adds its <see cref="IDeliveryHandler"/> (and may add an <see cref="IDeadLetterNotice"/>).</summary>
    /// <param name="shared">The replicas' shared queue and lease store; null: the embedded SQLite queue of one replica.</param>
    public static IServiceCollection AddPlanBotServer(this IServiceCollection services, ServerOptions options, SharedQueue? shared = null)
    {
        services.AddSingleton(options);
        services.AddSingleton(WebhookSignature.FromEnvironment(options.WebhookSecret)); // throws without a secret: the service does not start
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDeadLetterNotice, NoDeadLetterNotice>();
        if (shared is not null)
        {
            services.AddSingleton(shared);
            services.AddSingleton<IIntakeQueue>(new SharedIntake(shared));
            services.AddSingleton(sp => new SharedQueueWorker(shared, sp.GetRequiredService<IDeliveryHandler>(), options, sp.GetRequiredService<ILogger<SharedQueueWorker>>(),
                sp.GetRequiredService<IDeadLetterNotice>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ISupersededCheck>()));
            services.AddHostedService(provider => provider.GetRequiredService<SharedQueueWorker>());
        }
        else
        {
            services.AddSingleton(new DeliveryQueue(System.IO.Path.Combine(options.DataDir, "state", "queue.db")));
            services.AddSingleton<DeliveryFailures>();
            services.AddSingleton<Worker>();
            services.AddHostedService(provider => provider.GetRequiredService<Worker>());
            services.AddSingleton<IIntakeQueue>(sp => new LocalIntake(sp.GetRequiredService<DeliveryQueue>(), sp.GetRequiredService<Worker>()));
        }

        services.AddHttpContextAccessor();
        services.AddScoped<WebhookEventProcessor, DeliveryIntake>();
        services.AddSingleton<IOptionsMonitor<GitHubWebhookOptions>, GateOptions>();
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        return services;
    }
}
