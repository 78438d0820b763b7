using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Octokit;
using Octokit.Internal;

namespace PlanBot.GitHub.Rest;

/// <summary>
/// The bottom of Octokit's HttpClient: every request Octokit builds (pages and redirects included)
/// passes here on its way to our HttpClient from <see cref="GitHubClient.CreateHttp"/> (its retries,
/// timeout and default headers). What Octokit does not do, this does:
/// <list type="bullet">
/// <item>credentials never leave the API host: no request goes to another scheme, host or port. A
/// list whose <c>Link: rel="next"</c> points elsewhere ends with the API host's pages; a redirect
/// elsewhere is refused with an error;</item>
/// <item>the media types GitHub documents: <c>Accept: application/vnd.github+json</c> (Octokit sends
/// <c>…v3+json</c> and previews) and JSON bodies labelled <c>application/json</c> (Octokit labels them
/// form-urlencoded); GitHub accepts both, its OpenAPI description (and so Prism) does not;</item>
/// <item>the bearer token and the caller's cancellation of the current <see cref="GitHubCall"/>.</item>
/// </list>
/// </summary>
internal sealed class OctokitBridge(HttpClient api, Uri apiBase) : HttpMessageHandler
{
    // what Octokit's HttpClientAdapter notes on a request it sends after a 3xx (not a page of a list)
    private static readonly HttpRequestOptionsKey<int> RedirectCount = new(HttpClientAdapter.RedirectCountKey);

    private static readonly MediaTypeWithQualityHeaderValue GitHubJson = new("application/vnd.github+json");

    // GitHub answers the vendor type; its OpenAPI description (and so any mock of it) declares application/json
    private static readonly MediaTypeWithQualityHeaderValue PlainJson = new("application/json", 0.9);

    /// <summary>
    /// Octokit's Connection over <paramref name="api"/> (its pipeline: pages, rate-limit info, errors), with
    /// <see cref="GitHubJson"/> as its serializer; building a whole <see cref="Octokit.GitHubClient"/> is left to the calls that need one.
    /// </summary>
    // Octokit reads an error answer into ApiError with its own reflection-based serializer: the NativeAOT build keeps
    // these two types' members for it (GitHubCall shows GitHub's message from them)
    [DynamicDependency(DynamicallyAccessedMemberTypes.All, typeof(ApiError))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.All, typeof(ApiErrorDetail))]
    public static IConnection Connection(HttpClient api)
    {
        var given = api.BaseAddress ?? throw new ArgumentException("the HttpClient has no BaseAddress: build it with GitHubClient.CreateHttp(GITHUB_API_URL)", nameof(api));
        // Octokit's own GitHubClient(header, uri) turns any host but api.github.com into …/api/v3/; the Connection takes the address
        // as it is. The trailing slash makes Octokit's relative paths land under it (…/api/v3/repos/…, not …/api/repos/…).
        var apiBase = new Uri(given.ToString().TrimEnd('/') + "/");
        var connection = new Connection(new Octokit.ProductHeaderValue("PlanBot", "1.0"), apiBase, new InMemoryCredentialStore(Credentials.Anonymous),
            new HttpClientAdapter(() => new OctokitBridge(api, apiBase)), new GitHubJson());
        connection.SetRequestTimeout(Timeout.InfiniteTimeSpan); // our HttpClient's timeout governs the whole call, retries included
        return connection;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var call = GitHubCall.Now ?? throw new InvalidOperationException("an Octokit request outside GitHubCall.RunAsync: it would carry no token and no cancellation");
        var uri = request.RequestUri ?? throw new InvalidOperationException("an Octokit request without a URI");
        if (Uri.Compare(uri, apiBase, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            if (request.Method == HttpMethod.Get && !request.Options.TryGetValue(RedirectCount, out _))
            {
                // Octokit following a list's Link: rel="next" elsewhere: the list ends with the API host's pages, as GitHub's
                // own examples (their Link names api.github.com whatever the host) need against a mock or a GHES proxy
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("[]", Encoding.UTF8, "application/json"), RequestMessage = request };
            }

            throw new ForeignHostException($"GitHub pointed to {uri.GetLeftPart(UriPartial.Authority)} (a Link or Location header), not the API host {apiBase.GetLeftPart(UriPartial.Authority)} (GITHUB_API_URL); PlanBot sends its token to no other host, so it stopped there");
        }

        // Octokit's HttpClient has marked its message as sent: ours needs a fresh one (same content, headers but the two we set)
        using var forwarded = new HttpRequestMessage(request.Method, uri) { Content = request.Content, Version = request.Version };
        foreach (var header in request.Headers.Where(h => h.Key is not ("Accept" or "Authorization")))
        {
            forwarded.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        forwarded.Headers.Accept.Add(GitHubJson);
        forwarded.Headers.Accept.Add(PlainJson);
        if (forwarded.Content?.Headers.ContentType is { MediaType: "application/x-www-form-urlencoded" } type)
        {
            type.MediaType = "application/json"; // Octokit's label on the JSON it serialized; PlanBot sends no forms
        }

        forwarded.Headers.Authorization = new AuthenticationHeaderValue("Bearer", call.Token);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.Cancellation);
        var response = await api.SendAsync(forwarded, linked.Token).ConfigureAwait(false);
        response.RequestMessage = request; // Octokit reads what it noted on its own message back from the response
        return response;
    }
}

/// <summary>A request to a host other than GITHUB_API_URL's, refused before it was sent.</summary>
public sealed class ForeignHostException : HttpRequestException
{
    public ForeignHostException(string message)
        : base(message)
    {
    }

    public ForeignHostException()
    {
    }

    public ForeignHostException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
