using System.Net;
using System.Text.Json.Nodes;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Rest;
using PlanBot.Testing;

namespace PlanBot.GitHub.Tests;

/// <summary>
/// What the client guarantees on top of Octokit (issue 15): what reaches the wire, where it goes,
/// that cancellation stops a call, that retries still happen, that an issue edit keeps its milestone.
/// </summary>
public sealed class OctokitClientTests
{
    private static readonly Uri Api = new("https://ghe.example.com/api/v3");

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60); // a broken cancellation fails the test instead of hanging it

    [Theory]
    [InlineData("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/repos/acme/infra/pulls/7")]
    [InlineData("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/repos/acme/infra/pulls/7")]
    [InlineData("http://127.0.0.1:8123", "http://127.0.0.1:8123/repos/acme/infra/pulls/7")]
    [InlineData("https://api.github.com", "https://api.github.com/repos/acme/infra/pulls/7")]
    public async Task The_api_url_is_used_as_given(string api, string expected)
    {
        var stub = new StubGitHub((_, _) => Task.FromResult(StubGitHub.Json(StubGitHub.Pull)));
        (await stub.Client(new Uri(api)).GetPullRequestAsync("acme/infra", 7, CancellationToken.None)).HeadSha.ShouldBe("h");
        stub.Requests.Single().Uri.ToString().ShouldBe(expected, "Octokit's own GitHubClient would have made it …/api/v3/ (or …/api/v3/api/v3/)");
    }

    [Fact]
    public async Task Requests_carry_the_media_types_github_documents_and_the_token()
    {
        var stub = new StubGitHub((request, _) => Task.FromResult(request.Method == HttpMethod.Post ? StubGitHub.Json(StubGitHub.Comment, HttpStatusCode.Created) : StubGitHub.Json("[]")));
        var client = stub.Client(Api);
        await client.CreateCommentAsync("acme/infra", 7, "hi", CancellationToken.None);
        await client.ListCommentsAsync("acme/infra", 7, CancellationToken.None);
        await client.AddReactionAsync("acme/infra", 11, "eyes", CancellationToken.None); // Octokit asks a preview type for reactions

        stub.Requests.Count.ShouldBe(3);
        stub.Requests.ShouldAllBe(r => r.Accept == "application/vnd.github+json, application/json; q=0.9");
        stub.Requests.ShouldAllBe(r => r.Authorization == "Bearer " + StubGitHub.Token);
        stub.Requests.ShouldAllBe(r => r.ApiVersion == "2022-11-28");
        var post = stub.Requests[0];
        post.ContentType.ShouldBe("application/json; charset=utf-8", "Octokit labels its JSON application/x-www-form-urlencoded");
        JsonNode.Parse(post.Body!)!["body"]!.GetValue<string>().ShouldBe("hi");
        stub.Requests[1].ContentType.ShouldBeNull();
    }

    [Fact]
    public async Task The_pr_runs_calls_read_and_write_githubs_shapes_through_the_generated_records()
    {
        // the records of RestModels (source-generated JSON) under Octokit's connection: what reaches the wire, what is read back
        var stub = new StubGitHub((request, _) => Task.FromResult(request.RequestUri!.AbsolutePath switch
        {
            var path when path.EndsWith("/comments", StringComparison.Ordinal) => StubGitHub.Json("""[{"id":11,"body":"b","user":null,"created_at":"2026-01-02T03:04:05Z","updated_at":null,"reactions":{"+1":1}}]"""),
            var path when path.EndsWith("/files", StringComparison.Ordinal) => StubGitHub.Json("""[{"filename":"b.tf","status":"renamed","previous_filename":"a.tf","additions":1}]"""),
            var path when path.EndsWith("/check-runs", StringComparison.Ordinal) => StubGitHub.Json("""{"id":9007199254740993,"name":"x"}""", HttpStatusCode.Created),
            _ => StubGitHub.Json("""{"state":"success"}""", HttpStatusCode.Created),
        }));
        var client = stub.Client(Api);
        var comment = (await client.ListCommentsAsync("acme/infra", 7, CancellationToken.None)).ShouldHaveSingleItem();
        (comment.Id, comment.Body, comment.Author, comment.CreatedAt, comment.UpdatedAt).ShouldBe((11L, "b", "", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        (await client.GetChangedFilesAsync("acme/infra", 7, CancellationToken.None))!.ShouldHaveSingleItem().ShouldBe(new ChangedFile("b.tf", FileChangeKind.Renamed, "a.tf"));
        (await client.CreateCheckRunAsync("acme/infra", new CheckRun("planbot: app", "h", "success", "t", "s", null), CancellationToken.None)).ShouldBe(9007199254740993L);
        await client.SetStatusAsync("acme/infra", "h", new CommitStatus(CommitState.Pending, "planbot/apply-gate", "waiting", null), CancellationToken.None);

        stub.Requests.Select(r => (r.Method, r.Uri.PathAndQuery)).ShouldBe([
            ("GET", "/api/v3/repos/acme/infra/issues/7/comments?per_page=100"), ("GET", "/api/v3/repos/acme/infra/pulls/7/files?per_page=100"),
            ("POST", "/api/v3/repos/acme/infra/check-runs"), ("POST", "/api/v3/repos/acme/infra/statuses/h")]);
        JsonNode.Parse(stub.Requests[2].Body!)!.ToJsonString().ShouldBe("""{"name":"planbot: app","head_sha":"h","status":"completed","conclusion":"success","output":{"title":"t","summary":"s"}}""");
        JsonNode.Parse(stub.Requests[3].Body!)!.ToJsonString().ShouldBe("""{"state":"pending","context":"planbot/apply-gate","description":"waiting"}""", "no null fields: GitHub's description has no nulls for them");
    }

    [Fact]
    public async Task An_answer_whose_field_has_another_type_is_an_error_naming_the_call()
    {
        var stub = new StubGitHub((_, _) => Task.FromResult(StubGitHub.Json("""[{"id":"eleven","body":"b","created_at":"2026-01-02T03:04:05Z"}]""")));
        var error = await Should.ThrowAsync<VcsException>(() => stub.Client(Api).ListCommentsAsync("acme/infra", 7, CancellationToken.None));
        error.Message.ShouldStartWith("GitHub GET /repos/acme/infra/issues/7/comments: JsonException");
        var badTime = new StubGitHub((_, _) => Task.FromResult(StubGitHub.Json("""[{"id":11,"body":"b","created_at":"yesterday"}]""")));
        (await Should.ThrowAsync<VcsException>(() => badTime.Client(Api).ListCommentsAsync("acme/infra", 7, CancellationToken.None))).Message.ShouldContain("'created_at' is 'yesterday', not a time");
    }

    [Fact]
    public async Task A_list_whose_next_page_is_on_another_host_ends_there_and_nothing_is_sent_there()
    {
        var stub = new StubGitHub((request, _) =>
        {
            var page = StubGitHub.Json($"[{StubGitHub.Comment}]");
            page.Headers.TryAddWithoutValidation("Link", "<https://evil.example/repos/acme/infra/issues/7/comments?page=2>; rel=\"next\"");
            return Task.FromResult(page);
        });
        (await stub.Client(Api).ListCommentsAsync("acme/infra", 7, CancellationToken.None)).Select(c => c.Id).ShouldBe([11L]);
        stub.Requests.Select(r => r.Uri.Host).ShouldBe(["ghe.example.com"]);
    }

    [Fact]
    public async Task A_list_whose_next_page_is_on_the_api_host_over_plain_http_ends_there()
    {
        var stub = new StubGitHub((request, _) =>
        {
            var page = StubGitHub.Json($"[{StubGitHub.Comment}]");
            page.Headers.TryAddWithoutValidation("Link", "<http://ghe.example.com/api/v3/repos/acme/infra/issues/7/comments?page=2>; rel=\"next\"");
            return Task.FromResult(page);
        });
        (await stub.Client(Api).ListCommentsAsync("acme/infra", 7, CancellationToken.None)).Count.ShouldBe(1);
        stub.Requests.ShouldHaveSingleItem().Uri.Scheme.ShouldBe("https", "the token never goes out unencrypted");
    }

    [Fact]
    public async Task A_redirect_to_another_host_is_refused_and_the_error_names_no_token()
    {
        var stub = new StubGitHub((request, _) =>
        {
            var moved = new HttpResponseMessage(HttpStatusCode.Found);
            moved.Headers.Location = new Uri("https://evil.example/steal");
            return Task.FromResult(moved);
        });
        var error = await Should.ThrowAsync<VcsException>(() => stub.Client(Api).CreateCommentAsync("acme/infra", 7, "x", CancellationToken.None));
        error.Message.ShouldStartWith("GitHub POST /repos/acme/infra/issues/7/comments: GitHub pointed to https://evil.example");
        error.Message.ShouldContain("sends its token to no other host");
        error.ToString().ShouldNotContain(StubGitHub.Token);
        stub.Requests.Select(r => r.Uri.Host).ShouldBe(["ghe.example.com"]);
    }

    [Fact]
    public async Task An_issue_edit_sends_only_what_changes_so_the_milestone_stays()
    {
        var stub = new StubGitHub((_, _) => Task.FromResult(StubGitHub.Json("""{"number":900,"title":"t","body":"b","state":"open","milestone":{"number":3}}""")));
        var client = stub.Client(Api);
        await client.UpdateIssueAsync("acme/infra", 900, "new body", null, CancellationToken.None);
        await client.UpdateIssueAsync("acme/infra", 900, null, "closed", CancellationToken.None);

        stub.Requests.Select(r => (r.Method, r.Uri.AbsolutePath)).ShouldBe([("PATCH", "/api/v3/repos/acme/infra/issues/900"), ("PATCH", "/api/v3/repos/acme/infra/issues/900")]);
        stub.Requests.Select(r => JsonNode.Parse(r.Body!)!.ToJsonString()).ShouldBe(["""{"body":"new body"}""", """{"state":"closed"}"""],
            "Octokit's Issue.Update would send \"milestone\": null and clear it");
    }

    [Fact]
    public async Task Team_membership_is_read_by_slug()
    {
        var stub = new StubGitHub((request, _) => Task.FromResult(request.RequestUri!.AbsolutePath.EndsWith("/carol", StringComparison.Ordinal)
            ? StubGitHub.Json("""{"message":"Not Found"}""", HttpStatusCode.NotFound)
            : StubGitHub.Json("""{"state":"active","role":"member"}""")));
        var client = stub.Client(Api);
        (await client.IsTeamMemberAsync("acme", "platform", "bob", CancellationToken.None)).ShouldBeTrue();
        (await client.IsTeamMemberAsync("acme", "platform", "carol", CancellationToken.None)).ShouldBeFalse();
        stub.Requests.Select(r => r.Uri.AbsolutePath).ShouldBe(["/api/v3/orgs/acme/teams/platform/memberships/bob", "/api/v3/orgs/acme/teams/platform/memberships/carol"]);
    }

    [Fact]
    public async Task A_pull_request_whose_fork_was_deleted_counts_as_from_a_fork()
    {
        var deleted = JsonNode.Parse(StubGitHub.Pull)!;
        deleted["head"]!["repo"] = null;
        var stub = new StubGitHub((_, _) => Task.FromResult(StubGitHub.Json(deleted.ToJsonString())));
        var pull = await stub.Client(Api).GetPullRequestAsync("acme/infra", 7, CancellationToken.None);
        pull.FromFork.ShouldBeTrue("its head is someone else's code, whatever became of their repository");
        (pull.Number, pull.HeadSha, pull.BaseRef, pull.Author, pull.CloneUrl).ShouldBe((7, "h", "main", "alice", "https://github.com/acme/infra.git"));
    }

    [Fact]
    public async Task The_pull_requests_of_a_merge_commit_read_as_merged()
    {
        // GitHub's commit → pulls list (pull-request-simple) has merged_at and no merged field
        var merged = JsonNode.Parse(StubGitHub.Pull)!.AsObject();
        merged.Remove("merged");
        merged["merged_at"] = "2026-01-02T03:04:05Z";
        merged["state"] = "closed";
        merged["merge_commit_sha"] = "m";
        var stub = new StubGitHub((_, _) => Task.FromResult(StubGitHub.Json($"[{merged.ToJsonString()}]")));
        var pull = (await stub.Client(Api).PullRequestsForCommitAsync("acme/infra", "m", CancellationToken.None)).ShouldHaveSingleItem();
        (pull.Number, pull.Merged, pull.State, pull.MergeCommitSha, pull.FromFork).ShouldBe((7, true, "closed", "m", false));
        stub.Requests.ShouldHaveSingleItem().Uri.PathAndQuery.ShouldBe("/api/v3/repos/acme/infra/commits/m/pulls?per_page=100");
    }

    [Fact]
    public async Task A_cancelled_call_aborts_its_request_and_returns_only_once_the_request_has_stopped()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stub = new StubGitHub(async (_, token) =>
        {
            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
                return StubGitHub.Json(StubGitHub.Comment, HttpStatusCode.Created);
            }
            finally
            {
                stopped.TrySetResult();
            }
        });
        using var cancel = new CancellationTokenSource();
        var call = stub.Client(Api).CreateCommentAsync("acme/infra", 7, "x", cancel.Token);
        await entered.Task.WaitAsync(Bound);
        await cancel.CancelAsync();

        var error = await Should.ThrowAsync<OperationCanceledException>(call.WaitAsync(Bound));
        error.CancellationToken.ShouldBe(cancel.Token);
        stopped.Task.IsCompleted.ShouldBeTrue("nothing of the call may still run (and write) after it returned");
        stub.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_call_cancelled_while_it_waits_to_retry_sends_nothing_more()
    {
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stub = new StubGitHub((_, _) =>
        {
            failed.TrySetResult();
            return Task.FromResult(StubGitHub.Json("""{"message":"unavailable"}""", HttpStatusCode.ServiceUnavailable));
        });
        using var cancel = new CancellationTokenSource();
        var call = stub.Client(Api, new RetryPolicy { MaxAttempts = 5, BaseDelay = TimeSpan.FromHours(1) }).CreateCommentAsync("acme/infra", 7, "x", cancel.Token);
        await failed.Task.WaitAsync(Bound);
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(call.WaitAsync(Bound));
        stub.Requests.Count.ShouldBe(1, "the retry's wait ended with the call: no second POST can follow");
    }

    [Fact]
    public async Task A_call_cancelled_before_it_starts_sends_nothing()
    {
        var stub = new StubGitHub((_, _) => Task.FromResult(StubGitHub.Json(StubGitHub.Pull)));
        await Should.ThrowAsync<OperationCanceledException>(() => stub.Client(Api).GetPullRequestAsync("acme/infra", 7, new CancellationToken(canceled: true)));
        stub.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Cancelling_one_call_leaves_a_concurrent_call_on_the_same_client_running()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stub = new StubGitHub(async (request, token) =>
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/pulls/1", StringComparison.Ordinal))
            {
                entered.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            }

            await release.Task.WaitAsync(token);
            return StubGitHub.Json(StubGitHub.Pull);
        });
        var client = stub.Client(Api);
        using var cancel = new CancellationTokenSource();
        var doomed = client.GetPullRequestAsync("acme/infra", 1, cancel.Token);
        var other = client.GetPullRequestAsync("acme/infra", 7, CancellationToken.None);
        await entered.Task.WaitAsync(Bound);
        await cancel.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(doomed.WaitAsync(Bound));

        release.SetResult();
        (await other.WaitAsync(Bound)).Number.ShouldBe(7, "each call's cancellation is its own (AsyncLocal), not the client's");
    }

    [Fact]
    public async Task Primary_rate_limits_are_waited_out_until_their_reset_under_octokit()
    {
        var calls = 0;
        var stub = new StubGitHub((_, _) =>
        {
            if (Interlocked.Increment(ref calls) > 1)
            {
                return Task.FromResult(StubGitHub.Json(StubGitHub.Pull));
            }

            var limited = StubGitHub.Json("""{"message":"API rate limit exceeded"}""", HttpStatusCode.Forbidden);
            limited.Headers.Add("X-RateLimit-Remaining", "0");
            limited.Headers.Add("X-RateLimit-Reset", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            return Task.FromResult(limited);
        });
        (await stub.Client(Api, new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(5) }).GetPullRequestAsync("acme/infra", 7, CancellationToken.None)).Number.ShouldBe(7);
        stub.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Errors_name_the_call_and_githubs_message_never_the_token()
    {
        var stub = new StubGitHub((request, _) => Task.FromResult(request.Method == HttpMethod.Delete
            ? StubGitHub.Json("<html>proxy error</html>", HttpStatusCode.BadGateway)
            : StubGitHub.Json("""{"message":"Bad credentials"}""", HttpStatusCode.Unauthorized)));
        var client = stub.Client(Api);
        var unauthorized = await Should.ThrowAsync<VcsException>(() => client.ListReviewsAsync("acme/infra", 7, CancellationToken.None));
        unauthorized.Message.ShouldBe("GitHub GET /repos/acme/infra/pulls/7/reviews: HTTP 401 Bad credentials; the token is missing, expired or revoked");
        unauthorized.Status.ShouldBe(401);
        unauthorized.ToString().ShouldNotContain(StubGitHub.Token);

        var proxy = await Should.ThrowAsync<VcsException>(() => client.DeleteCommentAsync("acme/infra", 11, CancellationToken.None));
        proxy.Message.ShouldBe("GitHub DELETE /repos/acme/infra/issues/comments/11: HTTP 502", "a page that is not GitHub's error JSON is left out");

        var refused = new StubGitHub((_, _) => throw new HttpRequestException("Connection refused (ghe.example.com:443)"));
        var down = await Should.ThrowAsync<VcsException>(() => refused.Client(Api).GetPullRequestAsync("acme/infra", 7, CancellationToken.None));
        down.Message.ShouldBe("GitHub GET /repos/acme/infra/pulls/7: Connection refused (ghe.example.com:443)");
        down.ToString().ShouldNotContain(StubGitHub.Token);
    }

    [Fact]
    public async Task A_repository_name_that_is_not_owner_slash_name_is_a_clear_error_and_nothing_is_sent()
    {
        var stub = new StubGitHub((_, _) => Task.FromResult(StubGitHub.Json(StubGitHub.Pull)));
        var error = await Should.ThrowAsync<VcsException>(() => stub.Client(Api).GetPullRequestAsync("acme", 7, CancellationToken.None));
        error.Message.ShouldContain("'acme' is not a repository of the form owner/name");
        stub.Requests.ShouldBeEmpty();
    }
}

/// <summary>Retries under Octokit, against the fake GitHub: writes keep their body, rate limits are waited out.</summary>
public sealed class OctokitRetryTests : IAsyncLifetime
{
    private FakeGitHub _github = null!;

    public async Task InitializeAsync() => _github = await FakeGitHub.StartAsync();

    public async Task DisposeAsync() => await _github.DisposeAsync();

    private GitHubClient Client() => CommentLockStoreTests.Client(_github);

    [Fact]
    public async Task A_write_failing_with_5xx_is_retried_with_its_body_and_lands_once()
    {
        _github.FailNext(2, 503);
        var comment = await Client().CreateCommentAsync("acme/infra", 4, "retried body", CancellationToken.None);
        comment.Body.ShouldBe("retried body");
        _github.Calls.ShouldBe(["POST /repos/acme/infra/issues/4/comments", "POST /repos/acme/infra/issues/4/comments", "POST /repos/acme/infra/issues/4/comments"]);
        _github.CommentsOn(4).ShouldHaveSingleItem().Body.ShouldBe("retried body");
    }

    [Fact]
    public async Task A_secondary_rate_limit_is_waited_out_as_retry_after_says()
    {
        _github.AddPull(3, "h", "b");
        _github.FailNext(1, 403, retryAfter: 1);
        (await Client().GetPullRequestAsync("acme/infra", 3, CancellationToken.None)).HeadSha.ShouldBe("h");
        _github.Calls.ShouldBe(["GET /repos/acme/infra/pulls/3", "GET /repos/acme/infra/pulls/3"]);
    }
}
