using Octokit;
using PlanBot.Core.Ports;

namespace PlanBot.GitHub.Rest;

/// <summary>
/// One call to GitHub through Octokit: the bearer token and the caller's cancellation, carried to
/// <see cref="OctokitBridge"/> below Octokit (none of Octokit's methods takes a CancellationToken,
/// and the token differs per repository with a GitHub App), and Octokit's failures turned into one
/// readable <see cref="VcsException"/> naming the call, the status and GitHub's message, never the token.
/// </summary>
internal static class GitHubCall
{
    /// <summary>What the requests of the current call carry; an AsyncLocal flows into Octokit's awaits and back out of none of them.</summary>
    internal sealed record Context(string Token, CancellationToken Cancellation);

    private static readonly AsyncLocal<Context?> Current = new();

    internal static Context? Now => Current.Value;

    public static async Task<T> RunAsync<T>(string call, string token, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // set inside this async method: the value is seen by the requests this call makes and is gone when it returns
        Current.Value = new Context(token, cancellationToken);
        try
        {
            // no WaitAsync: the bridge aborts the request itself, so a cancelled call returns only once nothing of it runs on
            return await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"GitHub {call}: cancelled", e, cancellationToken);
        }
        catch (OperationCanceledException e)
        {
            throw new VcsException($"GitHub {call}: no answer in time (the HttpClient's timeout); GitHub may be degraded, run again later", e);
        }
        catch (ApiException e)
        {
            throw Refused(call, e);
        }
        catch (HttpRequestException e)
        {
            throw new VcsException($"GitHub {call}: {e.Message}", e);
        }
        catch (Exception e) when (e is not (VcsException or OutOfMemoryException))
        {
            // an answer Octokit could not read (a proxy's HTML page with 200, a changed field type) or an argument it refused
            throw new VcsException($"GitHub {call}: {e.GetType().Name}: {e.Message}", e);
        }
    }

    public static Task RunAsync(string call, string token, Func<Task> action, CancellationToken cancellationToken) =>
        RunAsync(call, token, async () =>
        {
            await action().ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>An error answer as one line: the call, the status, GitHub's message, and what to check.</summary>
    private static VcsException Refused(string call, ApiException e)
    {
        var status = (int)e.StatusCode;
        // Octokit falls back to the whole body as the message when it is not GitHub's error JSON (a proxy's page): the status says enough then
        var message = e.ApiError?.Message is { Length: > 0 } m && m != e.HttpResponse?.Body as string ? m : null;
        var hint = status switch
        {
            401 => "; the token is missing, expired or revoked",
            403 or 404 => "; check the token's permissions (pull-requests, issues, statuses, checks: write; contents: read)",
            _ => "",
        };
        return new VcsException($"GitHub {call}: HTTP {status}{(message is null ? "" : $" {message}")}{hint}", status);
    }

    /// <summary>owner/name, or a clear error: Octokit would otherwise throw on an empty part or build a wrong path.</summary>
    public static (string Owner, string Name) Split(string repo)
    {
        var parts = repo.Split('/');
        return parts is [{ Length: > 0 } owner, { Length: > 0 } name]
            ? (owner, name)
            : throw new VcsException($"GitHub: '{repo}' is not a repository of the form owner/name (GITHUB_REPOSITORY or the event's repository.full_name)");
    }
}
