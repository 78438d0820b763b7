using System.Globalization;
using System.Net;

namespace PlanBot.GitHub.Rest;

/// <summary>How long to wait, and how often to try again, on GitHub's transient failures.</summary>
public sealed record RetryPolicy
{
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>The longest single wait (Retry-After, or a primary rate limit's reset) PlanBot sits out; longer fails with a clear message.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(90);
}

/// <summary>
/// Retries 5xx answers and connection failures with jittered exponential backoff; on 403/429 with
/// Retry-After (secondary rate limits) waits as told; on a primary limit (X-RateLimit-Remaining: 0)
/// waits for X-RateLimit-Reset when it is near and otherwise fails saying when it resets. Never
/// retries other 4xx (validation errors would fail the same way again).
/// </summary>
public sealed class ResilienceHandler(RetryPolicy policy, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var contentType = request.Content?.Headers.ContentType;
        for (var attempt = 1; ; attempt++)
        {
            if (body is not null && attempt > 1)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = contentType;
            }

            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (attempt < policy.MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var wait = WaitFor(response, attempt);
            if (wait is null || attempt >= policy.MaxAttempts)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(wait.Value, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan? WaitFor(HttpResponseMessage response, int attempt)
    {
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            return Backoff(attempt);
        }

        if (response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests))
        {
            return null;
        }

        if (response.Headers.RetryAfter is { } retryAfter)
        {
            var delay = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - time.GetUtcNow() : TimeSpan.Zero);
            return Clamp(delay, "secondary rate limit");
        }

        if (Header(response, "X-RateLimit-Remaining") == "0" && long.TryParse(Header(response, "X-RateLimit-Reset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var reset))
        {
            return Clamp(DateTimeOffset.FromUnixTimeSeconds(reset) - time.GetUtcNow() + TimeSpan.FromSeconds(1), "primary rate limit");
        }

        return status == 429 ? Backoff(attempt) : null; // a plain 403 is a permission answer
    }

    private TimeSpan Clamp(TimeSpan delay, string what) =>
        delay <= policy.MaxWait
            ? delay < TimeSpan.Zero ? TimeSpan.Zero : delay
            : throw new RateLimitException($"GitHub's {what} resets in {delay.TotalSeconds:N0} s, longer than PlanBot waits ({policy.MaxWait.TotalSeconds:N0} s); run again later, or use a GitHub App token (higher limits)");

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(policy.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1) * (0.5 + Random.Shared.NextDouble()));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>A rate limit that resets later than PlanBot is willing to wait.</summary>
public sealed class RateLimitException : HttpRequestException
{
    public RateLimitException(string message)
        : base(message)
    {
    }

    public RateLimitException()
    {
    }

    public RateLimitException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
