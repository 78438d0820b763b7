using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// POST /webhooks/github: 401 without a valid X-Hub-Signature-256; 413 over the size cap; 400 for a
/// body that is not a JSON payload; 409 for a delivery id accepted before; 204 for events PlanBot
/// does not act on; otherwise stored in the queue and answered 202 at once. GET /healthz.
/// </summary>
public static class WebhookEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/webhooks/github", Receive);
        app.MapGet("/healthz", (DeliveryQueue queue) => Results.Json(new { status = "ok", queued = queue.Count("queued"), running = queue.Count("running") }));
    }

    private static async Task<IResult> Receive(HttpContext context, ServerOptions options, WebhookSignature signature, DeliveryQueue queue, Worker worker, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("PlanBot.Webhooks");
        var delivery = context.Request.Headers["X-GitHub-Delivery"].ToString();
        var eventName = context.Request.Headers["X-GitHub-Event"].ToString();
        if (context.Request.ContentLength > options.MaxBodyBytes)
        {
            Log.Refused(logger, delivery, eventName, "body over the size cap");
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxBodyBytes;
        }

        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException)
        {
            Log.Refused(logger, delivery, eventName, "body over the size cap");
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        if (!signature.IsValid(body, context.Request.Headers["X-Hub-Signature-256"].ToString() is { Length: > 0 } header ? header : null))
        {
            Log.Refused(logger, delivery, eventName, "missing or invalid X-Hub-Signature-256");
            return Results.Json(new { message = "invalid or missing X-Hub-Signature-256: check PLANBOT_WEBHOOK_SECRET against the webhook's secret" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (delivery.Length == 0 || eventName.Length == 0)
        {
            return Results.BadRequest(new { message = "X-GitHub-Delivery and X-GitHub-Event are required" });
        }

        WebhookEvent parsed;
        try
        {
            parsed = WebhookParser.Parse(eventName, body);
        }
        catch (JsonException e)
        {
            Log.Refused(logger, delivery, eventName, "not a JSON payload: " + e.Message);
            return Results.BadRequest(new { message = "the body is not a GitHub webhook JSON payload" });
        }

        if (parsed is WebhookEvent.Ignored ignored)
        {
            Log.Ignored(logger, delivery, eventName, ignored.Repo, ignored.Why);
            return Results.NoContent();
        }

        if (!await queue.TryEnqueueAsync(new Delivery(delivery, eventName, parsed.Repo, parsed.PullRequestNumber, body, DateTimeOffset.UtcNow)).ConfigureAwait(false))
        {
            Log.Refused(logger, delivery, eventName, "delivery id seen before (replay or redelivery)");
            return Results.Json(new { message = "this delivery was accepted before" }, statusCode: StatusCodes.Status409Conflict);
        }

        Log.Accepted(logger, delivery, eventName, parsed.Repo);
        worker.Wake();
        return Results.Accepted();
    }

    /// <summary>The service's parts, registered in one place; the caller adds its <see cref="IDeliveryHandler"/>.</summary>
    public static IServiceCollection AddPlanBotServer(this IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(WebhookSignature.FromEnvironment(options.WebhookSecret));
        services.AddSingleton(new DeliveryQueue(Path.Combine(options.DataDir, "state", "queue.db")));
        services.AddSingleton<Worker>();
        services.AddHostedService(provider => provider.GetRequiredService<Worker>());
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        return services;
    }
}
