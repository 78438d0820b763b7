using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
/// before any work starts. GET /healthz.
/// </summary>
public static class WebhookEndpoints
{
    public const string Path = "/webhooks/github";

    public static void Map(WebApplication app)
    {
        app.UseMiddleware<WebhookGate>();
        app.MapGitHubWebhooks(Path);
        app.MapGet("/healthz", (DeliveryQueue queue) => Results.Json(new { status = "ok", queued = queue.Count("queued"), running = queue.Count("running"), parked = queue.Count("parked"), failed = queue.Count("failed") }));
    }

    /// <summary>The service's parts, registered in one place; the caller adds its <see cref="IDeliveryHandler"/> (and may add an <see cref="IDeadLetterNotice"/>).</summary>
    public static IServiceCollection AddPlanBotServer(this IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(WebhookSignature.FromEnvironment(options.WebhookSecret)); // throws without a secret: the service does not start
        services.AddSingleton(new DeliveryQueue(System.IO.Path.Combine(options.DataDir, "state", "queue.db")));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDeadLetterNotice, NoDeadLetterNotice>();
        services.AddSingleton<DeliveryFailures>();
        services.AddSingleton<Worker>();
        services.AddHostedService(provider => provider.GetRequiredService<Worker>());
        services.AddHttpContextAccessor();
        services.AddScoped<WebhookEventProcessor, DeliveryIntake>();
        services.AddSingleton<IOptionsMonitor<GitHubWebhookOptions>, GateOptions>();
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        return services;
    }
}
