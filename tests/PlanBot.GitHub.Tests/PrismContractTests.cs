using System.Security.Cryptography;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Auth;
using PlanBot.GitHub.Rest;
using PlanBot.Testing;

namespace PlanBot.GitHub.Tests;

/// <summary>
/// Every request the client can make, sent to Prism serving GitHub's own OpenAPI description with
/// request validation on: a request the real API would reject (wrong path, method, field or enum)
/// comes back as an error here and fails the test.
/// </summary>
public class PrismContractTests
{
    private static GitHubClient Client(ITokenSource? tokens = null) =>
        new(GitHubClient.CreateHttp(new Uri(TestServers.Prism), [], new RetryPolicy { MaxAttempts = 1 }), tokens ?? new StaticToken("ghp_contract_test"));

    [Fact]
    public async Task Every_read_the_client_makes_is_valid_against_githubs_description()
    {
        var github = Client();
        var ct = CancellationToken.None;
        (await github.GetPullRequestAsync("octocat/hello-world", 1347, ct)).Number.ShouldBeGreaterThan(0);
        await github.ListOpenPullRequestsAsync("octocat/hello-world", ct);
        await github.GetChangedFilesAsync("octocat/hello-world", 1347, ct);
        await github.ListCommentsAsync("octocat/hello-world", 1347, ct);
        (await github.GetPermissionAsync("octocat/hello-world", "octocat", ct)).Permission.ShouldNotBeNullOrEmpty();
        await github.IsTeamMemberAsync("octo-org", "platform", "octocat", ct);
        await github.PullRequestsForCommitAsync("octocat/hello-world", "6dcb09b5b57875f334f61aebed695e2e4193db5e", ct);
        await github.ListReviewsAsync("octocat/hello-world", 1347, ct);
        await github.ListIssuesAsync("octocat/hello-world", "planbot-drift", "open", ct);
    }

    [Fact]
    public async Task Every_write_the_client_makes_is_valid_against_githubs_description()
    {
        var github = Client();
        var ct = CancellationToken.None;
        var comment = await github.CreateCommentAsync("octocat/hello-world", 1347, "<!-- planbot:plan -->\nbody", ct);
        await github.UpdateCommentAsync("octocat/hello-world", comment.Id, "<!-- planbot:plan -->\nnew body", ct);
        await github.DeleteCommentAsync("octocat/hello-world", comment.Id, ct);
        foreach (var reaction in new[] { "eyes", "+1", "-1" })
        {
            await github.AddReactionAsync("octocat/hello-world", comment.Id, reaction, ct);
        }

        foreach (var state in Enum.GetValues<CommitState>())
        {
            await github.SetStatusAsync("octocat/hello-world", "6dcb09b5b57875f334f61aebed695e2e4193db5e", new CommitStatus(state, "planbot/apply-gate", new string('x', 300), "https://github.com/o/r/actions/runs/1"), ct);
        }

        var issue = await github.CreateIssueAsync("octocat/hello-world", "PlanBot drift report", "body", ["planbot-drift"], ct);
        await github.UpdateIssueAsync("octocat/hello-world", issue.Number, "new body", "closed", ct);
        await github.UpdateIssueAsync("octocat/hello-world", issue.Number, null, "open", ct);

        foreach (var conclusion in new[] { "success", "failure", "action_required", "skipped", "neutral" })
        {
            var run = new CheckRun("planbot: envs/prod/network", "6dcb09b5b57875f334f61aebed695e2e4193db5e", conclusion, "1 to add", new string('s', 70_000), "text");
            var id = await github.CreateCheckRunAsync("octocat/hello-world", run, ct);
            await github.UpdateCheckRunAsync("octocat/hello-world", id, run with { Title = "updated" }, ct);
        }
    }

    [Fact]
    public async Task The_github_app_token_exchange_is_valid_against_githubs_description()
    {
        using var rsa = RSA.Create(2048);
        using var http = GitHubClient.CreateHttp(new Uri(TestServers.Prism), [], new RetryPolicy { MaxAttempts = 1 });
        using var app = new GitHubAppTokens(http, "123456", rsa.ExportRSAPrivateKeyPem(), TimeProvider.System);
        var token = await app.GetTokenAsync("octocat/hello-world", CancellationToken.None);
        token.ShouldNotBeNullOrEmpty();
        (await app.GetTokenAsync("octocat/other", CancellationToken.None)).ShouldBe(token, "cached per installation owner until 5 minutes before expiry");
        app.Jwt().Split('.').Length.ShouldBe(3);
    }

    [Fact]
    public async Task The_github_app_token_for_an_organization_is_valid_against_githubs_description()
    {
        using var rsa = RSA.Create(2048);
        using var http = GitHubClient.CreateHttp(new Uri(TestServers.Prism), [], new RetryPolicy { MaxAttempts = 1 });
        using var app = new GitHubAppTokens(http, "123456", rsa.ExportRSAPrivateKeyPem(), TimeProvider.System);
        (await app.GetTokenAsync("octo-org", CancellationToken.None)).ShouldNotBeNullOrEmpty("team memberships are read with the organization's installation");
        await Client(app).IsTeamMemberAsync("octo-org", "platform", "octocat", CancellationToken.None);
    }
}
