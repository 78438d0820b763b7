using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Octokit.Webhooks;
using Octokit.Webhooks.AspNetCore;
using PlanBot.GitHub.Webhooks;
using WebhookEvent = PlanBot.GitHub.Webhooks.WebhookEvent;

namespace PlanBot.Server;

/// <summary>The answer the gate gives once Octokit's endpoint has run the processor.</summary>
internal sealed record IntakeOutcome(int Status, string? Message = null);

/// <summary>
/// The Octokit.Webhooks processor (one per request): reads the delivery with <see cref="WebhookParser"/>
/// and stores the raw body in the durable queue (<see cref="IIntakeQueue"/>) before the answer goes out. New: 202. Seen before
/// and queued, running or handled: 200, not run again (GitHub shows a 409 as a failed delivery).
/// Seen before and failed or parked: queued again, 202 (GitHub's "Redeliver"). Not an event PlanBot
/// acts on: 204. Unreadable: 400 with what is wrong, logged. A repository the server policy does not
/// allow (<c>allowed_repositories</c>): 403 naming it, logged, never queued. It never throws for a payload.
/// </summary>
internal sealed class DeliveryIntake(IIntakeQueue queue, TimeProvider time, ILogger<DeliveryIntake> logger, ServerOptions options) : WebhookEventProcessor
{
    public IntakeOutcome? Outcome { get; private set; }

    public override async ValueTask ProcessWebhookAsync(IDictionary<string, StringValues> headers, string body, CancellationToken cancellationToken = default)
    {
        var delivery = headers.TryGetValue("X-GitHub-Delivery", out var id) ? id.ToString() : "";
        var eventName = headers.TryGetValue("X-GitHub-Event", out var name) ? name.ToString() : "";
        var bytes = Encoding.UTF8.GetBytes(body);
        WebhookEvent parsed;
        try
        {
            parsed = WebhookParser.Parse(eventName, bytes);
        }
        catch (JsonException e)
        {
            Log.Refused(logger, delivery, eventName, "unreadable payload: " + e.Message);
            Outcome = new(StatusCodes.Status400BadRequest, "the body is not a GitHub webhook payload PlanBot can read: " + e.Message);
            return;
        }

        if (parsed is WebhookEvent.Ignored ignored)
        {
            Log.Ignored(logger, delivery, eventName, ignored.Repo, ignored.Why);
            Outcome = new(StatusCodes.Status204NoContent);
            return;
        }

        if (options.RefuseRepository?.Invoke(parsed.Repo) is { } refusal)
        {
            // Not queued at all, nothing of the repository read or run. The log names the policy file and its list; the
            // answer (which whoever set up that webhook reads in Recent Deliveries) only says that it was refused.
            Log.Refused(logger, delivery, eventName, refusal);
            Outcome = new(StatusCodes.Status403Forbidden, $"repository '{PlanBot.Core.Config.AllowedRepositories.Printable(parsed.Repo)}' is not served by this PlanBot (allowed_repositories of its server policy): ask its operator");
            return;
        }

        var stored = await queue.TryEnqueueAsync(new Delivery(delivery, eventName, parsed.Repo, parsed.LinePullRequest(), bytes, time.GetUtcNow())).ConfigureAwait(false);
        switch (stored)
        {
            case EnqueueResult.Duplicate:
                Log.Known(logger, delivery, eventName, parsed.Repo, "seen before (a replay): not run again");
                Outcome = new(StatusCodes.Status200OK, "this delivery was accepted before; it runs once");
                return;
            case EnqueueResult.Redelivered:
                Log.Known(logger, delivery, eventName, parsed.Repo, "a redelivery of a delivery that failed: queued again");
                break;
            default:
                Log.Accepted(logger, delivery, eventName, parsed.Repo);
                break;
        }

        Outcome = new(StatusCodes.Status202Accepted);
    }
}

/// <summary>
/// Octokit.Webhooks' options per request: the secret the gate matched (so rotation works with its
/// single secret), and an exception handler so nothing it throws becomes a 500 without a word.
/// </summary>
internal sealed class GateOptions(WebhookSignature signature, IHttpContextAccessor accessor, ILogger<GateOptions> logger) : IOptionsMonitor<GitHubWebhookOptions>
{
    private readonly GitHubWebhookOptions[] _bySecret = [.. signature.Secrets.Select(s => new GitHubWebhookOptions { Secret = s, ExceptionHandler = (e, context) => HandleAsync(e, context, logger) })];

    public GitHubWebhookOptions CurrentValue =>
        accessor.HttpContext?.Features.Get<VerifiedSecret>() is { } verified ? _bySecret.First(o => o.Secret == verified.Secret) : _bySecret[0];

    public GitHubWebhookOptions Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<GitHubWebhookOptions, string?> listener) => null;

    /// <summary>The queue could not store the delivery (disk full, database locked): 503 so the sender may try again; the payload itself was fine.</summary>
    private static async ValueTask<bool> HandleAsync(Exception error, HttpContext context, ILogger logger)
    {
        Log.StoreFailed(logger, error, context.Request.Headers["X-GitHub-Delivery"].ToString(), context.Request.Headers["X-GitHub-Event"].ToString());
        if (context.Response.HasStarted)
        {
            return false;
        }

        context.Response.StatusCode = error is ArgumentException ? StatusCodes.Status400BadRequest : StatusCodes.Status503ServiceUnavailable;
        await context.Response.WriteAsJsonAsync(new Answer(error is ArgumentException ? error.Message : "the delivery could not be stored; it was not accepted: try again (see the service log)"), ServerJsonContext.Default.Answer).ConfigureAwait(false);
        return true;
    }
}
