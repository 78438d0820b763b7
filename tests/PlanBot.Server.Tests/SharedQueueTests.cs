using System.Net;
using Amazon.Runtime;
using Amazon.SQS;
using Azure.Storage;
using Azure.Storage.Queues;
using PlanBot.Aws.Queues;
using PlanBot.Azure.Queues;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Auth;
using PlanBot.GitHub.Rest;
using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Server.Tests;

/// <summary>Issue 18 item 2 in process: replicas over one shared queue (azurite's, or SQS on local-aws-sqs) and one lease store; fencing; readiness.</summary>
public sealed class SharedQueueTests : IDisposable
{
    private readonly TempDir _data = new("planbot-shared");

    private static QueueClient NewQueue(string? endpoint = null) =>
        new(new Uri($"{endpoint ?? TestServers.AzuriteQueue}/q{Guid.NewGuid():N}"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey),
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None, Retry = { MaxRetries = 0 } });

    /// <summary>A new queue of the backend (created; SQS queues are declared by their owners, not by PlanBot).</summary>
    private static async Task<IMessageQueue> NewQueueAsync(string backend, string? sqsEndpoint = null)
    {
        if (backend == "azure")
        {
            return new AzureMessageQueue(NewQueue());
        }

        var client = new AmazonSQSClient(new BasicAWSCredentials("fake", "fake"), new AmazonSQSConfig { ServiceURL = sqsEndpoint ?? TestServers.Sqs, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        return new SqsMessageQueue(client, new Uri((await client.CreateQueueAsync($"q{Guid.NewGuid():N}")).QueueUrl));
    }

    private SharedQueue Shared(QueueClient queue, string replica, ILeaseStore? leases = null) => Shared(new AzureMessageQueue(queue), replica, leases);

    private SharedQueue Shared(IMessageQueue queue, string replica, ILeaseStore? leases = null) =>
        new(queue, leases ?? new SqliteLeaseStore(Path.Combine(_data.Path, "leases.db"), TimeProvider.System), TimeSpan.FromSeconds(6), replica, _ => Task.CompletedTask);

    [Theory]
    [InlineData("azure")]
    [InlineData("sqs")]
    public async Task Two_replicas_take_one_delivery_id_once_and_run_one_prs_deliveries_one_at_a_time(string backend)
    {
        var queue = await NewQueueAsync(backend);
        var handler = new RecordingHandler();
        await using var a = await ServiceHost.StartAsync(Path.Combine(_data.Path, "a"), handler, shared: Shared(queue, "a"));
        await using var b = await ServiceHost.StartAsync(Path.Combine(_data.Path, "b"), handler, shared: Shared(queue, "b"));

        (await a.PostAsync("pull_request", ServiceHost.PullRequest(7, "h1"), delivery: "d-1")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await b.PostAsync("pull_request", ServiceHost.PullRequest(7, "h1"), delivery: "d-1")).StatusCode.ShouldBe(HttpStatusCode.OK, "a replay to the other replica");
        (await a.PostAsync("pull_request", ServiceHost.PullRequest(7, "h1"), delivery: "d-1")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // PR 8's first delivery is held inside its handler: the second must wait for it, on either replica
        handler.Gates[8] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (await b.PostAsync("pull_request", ServiceHost.PullRequest(8, "x1"), delivery: "d-2")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await RecordingHandler.EventuallyAsync(() => handler.Started.ContainsKey(8))).ShouldBeTrue();
        (await a.PostAsync("pull_request", ServiceHost.PullRequest(8, "x2"), delivery: "d-3")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await RecordingHandler.EventuallyAsync(() => handler.Handled.Any(h => h.Key == "acme/infra#7"))).ShouldBeTrue();
        handler.Runs.Count(r => r.Id == "d-3").ShouldBe(0, "PR 8's second delivery waits for the first, though the other replica is free");

        handler.Gates[8].SetResult();
        await handler.WaitForAsync(3);
        handler.Handled.Where(h => h.Key == "acme/infra#8").Select(h => h.Head).ShouldBe(["x1", "x2"]);
        handler.Runs.Count(r => r.Id == "d-1").ShouldBe(1, "one delivery id runs once across replicas");
        handler.Runs.Where(r => r.Id.StartsWith("d-", StringComparison.Ordinal)).Select(r => r.RunId).Distinct().Count().ShouldBe(2, "one run id per PR, on every replica");
        handler.Runs.Single(r => r.Id == "d-1").RunId.ShouldBe(SharedQueue.RunIdOf("pr:acme/infra#7"));
    }

    [Fact]
    public async Task A_stale_replicas_write_is_refused_once_a_newer_holder_has_the_prs_lease()
    {
        await using var github = await FakeGitHub.StartAsync();
        github.AddPull(7, "h1", "base");
        var vcs = new FencedVcs(new GitHubClient(GitHubClient.CreateHttp(github.Url, []), new StaticToken(FakeGitHub.Token)));
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var leases = new SqliteLeaseStore(Path.Combine(_data.Path, "fence.db"), clock);
        var stale = (await leases.TryAcquireAsync("pr:acme/infra#7", "a/d-1", TimeSpan.FromMinutes(2), CancellationToken.None))!;

        using (FencedVcs.Enter(new Fence(leases, stale, TimeSpan.FromMinutes(2))))
        {
            await vcs.CreateCommentAsync("acme/infra", 7, "from the holder", CancellationToken.None);
            clock.Advance(TimeSpan.FromMinutes(3)); // replica a stalls past its lease; b takes the PR over
            var fresh = (await leases.TryAcquireAsync("pr:acme/infra#7", "b/d-1", TimeSpan.FromMinutes(2), CancellationToken.None)).ShouldNotBeNull();
            fresh.Token.ShouldBeGreaterThan(stale.Token);

            var refused = await Should.ThrowAsync<LeaseLostException>(() => vcs.CreateCommentAsync("acme/infra", 7, "stale", CancellationToken.None));
            refused.Message.ShouldContain($"token {stale.Token}");
            await Should.ThrowAsync<LeaseLostException>(() => vcs.SetStatusAsync("acme/infra", "h1", new CommitStatus(CommitState.Failure, "planbot/apply-gate", "stale"), CancellationToken.None));
            (await vcs.GetPullRequestAsync("acme/infra", 7, CancellationToken.None)).HeadSha.ShouldBe("h1", "reads are not fenced");
        }

        github.CommentsOn(7).Select(c => c.Body).ShouldBe(["from the holder"]);
        github.Statuses.ShouldBeEmpty();
        await vcs.CreateCommentAsync("acme/infra", 7, "outside any delivery", CancellationToken.None); // not fenced
        github.CommentsOn(7).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Readiness_fails_while_the_queue_is_unreachable_and_liveness_still_answers()
    {
        var queue = NewQueue();
        await new AzureMessageQueue(queue).SendAsync([1], CancellationToken.None); // the queue exists
        await using (var ready = await ServiceHost.StartAsync(Path.Combine(_data.Path, "ok"), shared: Shared(queue, "ok")))
        {
            (await ready.Http.GetAsync("/readyz")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var host = await ServiceHost.StartAsync(Path.Combine(_data.Path, "down"), shared: Shared(NewQueue($"http://127.0.0.1:{port}/{TestServers.AzuriteAccount}"), "down"));
        var answer = await host.Http.GetAsync("/readyz");
        answer.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await answer.Content.ReadAsStringAsync()).ShouldContain("the queue or lease store cannot be reached");
        (await host.Http.GetAsync("/healthz")).StatusCode.ShouldBe(HttpStatusCode.OK, "alive, only not ready");
        (await host.PostAsync("pull_request", ServiceHost.PullRequest(5, "h"), delivery: "d-down")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "nothing stored, so GitHub may retry");
    }

    [Fact]
    public async Task Readiness_fails_once_the_sqs_service_stops_and_liveness_still_answers()
    {
        var emulator = TestServers.StartSqs();
        try
        {
            var queue = await NewQueueAsync("sqs", emulator.Endpoint);
            await using var host = await ServiceHost.StartAsync(_data.Path, shared: Shared(queue, "sqs"));
            (await host.Http.GetAsync("/readyz")).StatusCode.ShouldBe(HttpStatusCode.OK);

            emulator.Dispose(); // SQS is gone (an outage, a network policy, a deleted queue's endpoint)
            var answer = await host.Http.GetAsync("/readyz");
            answer.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            (await answer.Content.ReadAsStringAsync()).ShouldContain("the queue or lease store cannot be reached");
            (await host.Http.GetAsync("/healthz")).StatusCode.ShouldBe(HttpStatusCode.OK, "alive, only not ready");
            (await host.PostAsync("pull_request", ServiceHost.PullRequest(5, "h"), delivery: "d-down")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "nothing stored, so GitHub may retry");
        }
        finally
        {
            emulator.Dispose();
        }
    }

    [Fact]
    public async Task Readiness_of_the_embedded_queue_is_ready()
    {
        await using var host = await ServiceHost.StartAsync(_data.Path);
        (await host.Http.GetAsync("/readyz")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    public void Dispose() => _data.Dispose();
}
