using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Octokit;
using PlanBot.GitHub.Rest;

namespace PlanBot.GitHub.Auth;

/// <summary>Where the bearer token of each request comes from.</summary>
public interface ITokenSource
{
    ValueTask<string> GetTokenAsync(string repo, CancellationToken cancellationToken);
}

/// <summary>A fixed token: GITHUB_TOKEN in Actions, or a personal access token.</summary>
public sealed class StaticToken(string token) : ITokenSource
{
    public ValueTask<string> GetTokenAsync(string repo, CancellationToken cancellationToken) => ValueTask.FromResult(token);
}

/// <summary>
/// A GitHub App: an RS256 JWT (issued 60 s in the past for clock skew, valid 9 minutes) is exchanged
/// for the repository's installation token, cached until 5 minutes before it expires.
/// </summary>
public sealed class GitHubAppTokens(HttpClient http, string appId, string privateKeyPem, TimeProvider time) : ITokenSource, IDisposable
{
    // the App's own calls go through Octokit's connection with the JWT as the bearer token; the JWT is ours
    private readonly ApiConnection _api = new(OctokitBridge.Connection(http));
    private readonly RSA _key = Load(privateKeyPem);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, (string Token, DateTimeOffset Expires)> _cache = new(StringComparer.OrdinalIgnoreCase);

    private static RSA Load(string pem)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem.Replace("\\n", "\n", StringComparison.Ordinal));
            return rsa;
        }
        catch (ArgumentException e)
        {
            rsa.Dispose();
            throw new ArgumentException("PLANBOT_GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key (download it from the App's settings page)", e);
        }
    }

    public async ValueTask<string> GetTokenAsync(string repo, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // a repository (owner/name) or an organization (the team-membership reads): the installation is the owner's
            var owner = repo.Split('/')[0];
            if (_cache.TryGetValue(owner, out var cached) && cached.Expires - TimeSpan.FromMinutes(5) > time.GetUtcNow())
            {
                return cached.Token;
            }

            var jwt = Jwt();
            var installation = repo.Contains('/', StringComparison.Ordinal)
                ? await GitHubCall.RunAsync("GET /repos/{repo}/installation", jwt, () => ForRepository(repo), cancellationToken).ConfigureAwait(false)
                : await GitHubCall.RunAsync("GET /orgs/{org}/installation", jwt, () => _api.Get<RestInstallation>(new Uri($"orgs/{Uri.EscapeDataString(owner)}/installation", UriKind.Relative)), cancellationToken).ConfigureAwait(false);
            var token = await GitHubCall.RunAsync("POST /app/installations/{id}/access_tokens", jwt, () => _api.Post<RestInstallationToken>(new Uri($"app/installations/{installation.Id}/access_tokens", UriKind.Relative)), cancellationToken).ConfigureAwait(false);
            _cache[owner] = (token.Token, GitHubTime.Parse(token.ExpiresAt, "expires_at"));
            return token.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task<RestInstallation> ForRepository(string repo)
    {
        var (owner, name) = GitHubCall.Split(repo);
        return _api.Get<RestInstallation>(new Uri($"repos/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(name)}/installation", UriKind.Relative));
    }

    /// <summary>The App's JWT: header.payload.signature, RS256.</summary>
    public string Jwt()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        static string B64(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64("""{"alg":"RS256","typ":"JWT"}"""u8);
        var payload = B64(Encoding.UTF8.GetBytes($$"""{"iat":{{now - 60}},"exp":{{now + 540}},"iss":{{System.Text.Json.Nodes.JsonValue.Create(appId).ToJsonString()}}}"""));
        var signature = _key.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{B64(signature)}";
    }

    public void Dispose()
    {
        _key.Dispose();
        _gate.Dispose();
    }
}
