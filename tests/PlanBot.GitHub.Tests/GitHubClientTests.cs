using PlanBot.Core.Ports;
using PlanBot.GitHub.Auth;
using PlanBot.GitHub.Rest;
using PlanBot.Testing;

namespace PlanBot.GitHub.Tests;

/// <summary>The client's behaviour on GitHub's failures, against the fake GitHub.</summary>
public sealed class GitHubClientTests : IAsyncLifetime
{
    private FakeGitHub _github = null!;

    public async Task InitializeAsync() => _github = await FakeGitHub.StartAsync();

    public async Task DisposeAsync() => await _github.DisposeAsync();

    private GitHubClient Client(int attempts = 5) =>
        new(GitHubClient.CreateHttp(_github.Url, [], new RetryPolicy { MaxAttempts = attempts, BaseDelay = TimeSpan.FromMilliseconds(5), MaxWait = TimeSpan.FromSeconds(3) }), new StaticToken(FakeGitHub.Token));

    [Fact]
    public async Task Validation_errors_are_not_retried_and_no_error_names_the_token()
    {
        _github.FailNext(1, 422);
        var error = await Should.ThrowAsync<VcsException>(() => Client().CreateCommentAsync("acme/infra", 1, "x", CancellationToken.None));
        error.Status.ShouldBe(422);
        error.Message.ShouldBe("GitHub POST /repos/acme/infra/issues/1/comments: HTTP 422 injected fault");
        error.ToString().ShouldNotContain(FakeGitHub.Token);
        _github.Calls.Count(c => c.StartsWith("POST", StringComparison.Ordinal)).ShouldBe(1, "a 422 would fail the same way again");
    }

    [Fact]
    public async Task Server_errors_are_retried_with_backoff_until_they_pass_or_attempts_run_out()
    {
        _github.AddPull(3, "h", "b");
        _github.FailNext(2, 503);
        (await Client().GetPullRequestAsync("acme/infra", 3, CancellationToken.None)).HeadSha.ShouldBe("h");
        _github.Calls.Count.ShouldBe(3);

        _github.FailNext(3, 502);
        var error = await Should.ThrowAsync<VcsException>(() => Client(attempts: 3).GetPullRequestAsync("acme/infra", 3, CancellationToken.None));
        error.Status.ShouldBe(502);
    }

    [Fact]
    public async Task A_rate_limit_resetting_later_than_planbot_waits_fails_with_a_clear_message()
    {
        _github.FailNext(1, 429, retryAfter: 3600);
        var error = await Should.ThrowAsync<VcsException>(() => Client().ListCommentsAsync("acme/infra", 1, CancellationToken.None));
        error.Message.ShouldContain("secondary rate limit resets in 3,600 s, longer than PlanBot waits");
    }

    [Fact]
    public async Task Comment_lists_follow_every_page()
    {
        for (var i = 0; i < 250; i++)
        {
            _github.AddComment(9, $"comment {i}", "bob");
        }

        (await Client().ListCommentsAsync("acme/infra", 9, CancellationToken.None)).Count.ShouldBe(250);
        _github.Calls.Count(c => c.Contains("/issues/9/comments", StringComparison.Ordinal)).ShouldBe(3);
    }
}
