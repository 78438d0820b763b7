using PlanBot.Core.Workflows;
using PlanBot.GitHub.Auth;
using PlanBot.GitHub.Rest;
using PlanBot.Core.Common;

namespace PlanBot.Hosting;

/// <summary>The GitHub client and its token source: GITHUB_TOKEN, or a GitHub App (PLANBOT_GITHUB_APP_ID + PLANBOT_GITHUB_APP_PRIVATE_KEY).</summary>
public sealed class GitHubConnection
{
    /// <param name="secrets">What every request body is masked of (PlanBotSettings.Secrets).</param>
    public GitHubConnection(GitHubSettings settings, IReadOnlyList<string> secrets, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var http = GitHubClient.CreateHttp(new Uri(settings.ApiUrl), secrets);
        Tokens = settings.AppId is { } appId
            ? new GitHubAppTokens(http, appId, settings.AppPrivateKey ?? throw new UsageException("PLANBOT_GITHUB_APP_ID is set but PLANBOT_GITHUB_APP_PRIVATE_KEY is not"), time)
            : new StaticToken(settings.Token ?? throw new UsageException("GITHUB_TOKEN is not set: pass `token: ${{ secrets.GITHUB_TOKEN }}` to the action, or set PLANBOT_GITHUB_APP_ID and PLANBOT_GITHUB_APP_PRIVATE_KEY"));
        Client = new GitHubClient(http, Tokens);
    }

    public GitHubClient Client { get; }

    public ITokenSource Tokens { get; }
}
