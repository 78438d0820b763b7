using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Azure.Core;

namespace PlanBot.Azure.Tests;

/// <summary>
/// Stands in for an Azure.Identity credential: hands out unsigned JWT-shaped tokens, which azurite's
/// `--oauth basic` accepts when issuer, audience and lifetime are right (it does not check
/// signatures), and records the scopes the SDK asked for.
/// </summary>
internal sealed class FakeTokenCredential(string audience = "https://storage.azure.com", TimeSpan? expiresIn = null) : TokenCredential
{
    public ConcurrentQueue<string> Scopes { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        foreach (var scope in requestContext.Scopes)
        {
            Scopes.Enqueue(scope);
        }

        var now = DateTimeOffset.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromHours(1));
        var claims = new Dictionary<string, object>
        {
            ["aud"] = audience,
            ["iss"] = "https://sts.windows.net/00000000-0000-0000-0000-000000000001/",
            ["iat"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["oid"] = "00000000-0000-0000-0000-000000000002",
        };
        var token = $"{Base64Url("""{"alg":"RS256","typ":"JWT"}""")}.{Base64Url(JsonSerializer.Serialize(claims))}.{Base64Url("not-signed")}";

        // The SDK caches by this expiry: keep it ahead even when the token itself is expired, so it is sent as is.
        return new AccessToken(token, now.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
