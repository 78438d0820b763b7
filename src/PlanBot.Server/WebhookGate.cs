using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Octokit.Webhooks;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// What stands before Octokit.Webhooks' endpoint on POST /webhooks/github, which reads a whole body
/// into memory before it checks the signature, knows one secret, answers 400 to a bad signature and
/// 500 to an oversized body. Here, in order, without reading the body: over the size cap 413; no
/// well-formed X-Hub-Signature-256 401; a Content-Type other than JSON 415 (none is read as JSON). Then the body streams through an HMAC per
/// secret into a buffer that spills to disk past 64 KB (so unsigned posts cost no memory) and stops
/// at the cap (413); a signature that matches no secret is 401. Only then does the endpoint read it,
/// and its answer is made ours afterwards (<see cref="DeliveryIntake.Outcome"/>: 202, 200, 204, 400).
/// </summary>
internal sealed class WebhookGate(RequestDelegate next, ServerOptions options, WebhookSignature signature, ILogger<WebhookGate> logger)
{
    private const int MemoryThreshold = 64 * 1024;

    private readonly string _spillDir = Path.Combine(options.DataDir, "tmp");

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.Equals(WebhookEndpoints.Path, StringComparison.Ordinal))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var request = context.Request;
        var delivery = request.Headers["X-GitHub-Delivery"].ToString();
        var eventName = request.Headers["X-GitHub-Event"].ToString();
        var header = request.Headers["X-Hub-Signature-256"].ToString();
        if (request.ContentLength > options.MaxBodyBytes)
        {
            await RefuseAsync(context, delivery, eventName, StatusCodes.Status413PayloadTooLarge, $"the body is over {options.MaxBodyBytes:N0} bytes (GitHub sends at most 25 MB)").ConfigureAwait(false);
            return;
        }

        if (!WebhookSignature.IsWellFormed(header))
        {
            await RefuseAsync(context, delivery, eventName, StatusCodes.Status401Unauthorized, "invalid or missing X-Hub-Signature-256: check PLANBOT_WEBHOOK_SECRET against the webhook's secret").ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(request.ContentType))
        {
            request.ContentType = "application/json"; // GitHub always says; a hand-made delivery (curl) without one is read as JSON
        }
        else if (!IsJson(request.ContentType))
        {
            await RefuseAsync(context, delivery, eventName, StatusCodes.Status415UnsupportedMediaType, $"Content-Type {request.ContentType ?? "(none)"}: set the webhook's content type to application/json").ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxBodyBytes; // the server stops reading at the cap, with or without Content-Length
        }

        Directory.CreateDirectory(_spillDir);
        var buffered = new FileBufferingReadStream(request.Body, MemoryThreshold, options.MaxBodyBytes, _spillDir);
        context.Response.RegisterForDisposeAsync(buffered);
        int secret;
        using (var hashes = signature.Begin())
        {
            var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int read;
                while ((read = await buffered.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    hashes.Append(chunk.AsSpan(0, read));
                }
            }
            catch (Exception e) when (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } or IOException { Message: "Buffer limit exceeded." })
            {
                await RefuseAsync(context, delivery, eventName, StatusCodes.Status413PayloadTooLarge, $"the body is over {options.MaxBodyBytes:N0} bytes (GitHub sends at most 25 MB)").ConfigureAwait(false);
                return;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            secret = hashes.Match(header);
        }

        if (secret < 0)
        {
            await RefuseAsync(context, delivery, eventName, StatusCodes.Status401Unauthorized, "invalid or missing X-Hub-Signature-256: check PLANBOT_WEBHOOK_SECRET against the webhook's secret").ConfigureAwait(false);
            return;
        }

        if (delivery.Length == 0 || eventName.Length == 0)
        {
            await RefuseAsync(context, delivery, eventName, StatusCodes.Status400BadRequest, "X-GitHub-Delivery and X-GitHub-Event are required").ConfigureAwait(false);
            return;
        }

        buffered.Position = 0;
        request.Body = buffered;
        context.Features.Set(new VerifiedSecret(signature.Secrets[secret]));
        await next(context).ConfigureAwait(false);

        if (!context.Response.HasStarted && context.RequestServices.GetService<WebhookEventProcessor>() is DeliveryIntake { Outcome: { } outcome })
        {
            context.Response.StatusCode = outcome.Status;
            if (outcome.Message is { } message)
            {
                await context.Response.WriteAsJsonAsync(new Answer(message), ServerJsonContext.Default.Answer, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            }
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private async Task RefuseAsync(HttpContext context, string delivery, string eventName, int status, string why)
    {
        Log.Refused(logger, delivery, eventName, why);
        context.Response.StatusCode = status;
        if (status != StatusCodes.Status413PayloadTooLarge)
        {
            await context.Response.WriteAsJsonAsync(new Answer(why), ServerJsonContext.Default.Answer).ConfigureAwait(false);
        }
    }
}

/// <summary>The secret this request was signed with: Octokit.Webhooks verifies it again with that one.</summary>
internal sealed record VerifiedSecret(string Secret);

internal sealed record Answer(string Message);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Answer))]
internal sealed partial class ServerJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
