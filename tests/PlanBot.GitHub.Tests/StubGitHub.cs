using System.Collections.Concurrent;
using System.Net;
using System.Text;
using PlanBot.GitHub.Auth;
using PlanBot.GitHub.Rest;

namespace PlanBot.GitHub.Tests;

/// <summary>
/// The bottom of the client's handler chain (below the retry handler), answering as a test says and
/// recording exactly what reached the network: the URI, the headers, the body. For what the fake
/// GitHub cannot show: requests that must never be sent, a request that hangs, the exact wire shape.
/// </summary>
internal sealed class StubGitHub(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    public const string Token = "ghs_stub_token_9876543210";

    public sealed record Sent(string Method, Uri Uri, string Accept, string? Authorization, string? ApiVersion, string? ContentType, string? Body);

    private readonly ConcurrentQueue<Sent> _sent = new();

    public IReadOnlyList<Sent> Requests => [.. _sent];

    public GitHubClient Client(Uri api, RetryPolicy? retry = null) =>
        new(GitHubClient.CreateHttp(api, [], retry ?? new RetryPolicy { MaxAttempts = 1 }, inner: this), new StaticToken(Token));

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public const string Pull = """
        {"number":7,"state":"open","draft":false,"merged":false,"user":{"login":"alice"},
         "head":{"sha":"h","ref":"pr-7","repo":{"full_name":"acme/infra"}},
         "base":{"sha":"b","ref":"main","repo":{"full_name":"acme/infra","clone_url":"https://github.com/acme/infra.git"}}}
        """;

    public const string Comment = """{"id":11,"body":"hello","user":{"login":"bob"},"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}""";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        _sent.Enqueue(new Sent(request.Method.Method, request.RequestUri!, request.Headers.Accept.ToString(), request.Headers.Authorization?.ToString(),
            request.Headers.TryGetValues("X-GitHub-Api-Version", out var version) ? version.Single() : null, request.Content?.Headers.ContentType?.ToString(), body));
        var response = await answer(request, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }
}
