using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using Amazon.SQS.Model;
using Azure.Storage;
using Azure.Storage.Queues;
using PlanBot.Aws.Locks;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// Issue 18's replica test: two `planbot serve` processes (separate data dirs) on one shared queue
/// (azurite's, or SQS on local-aws-sqs) and one DynamoDB (dynalite) lease table, a burst of pushes to the same PRs, one replica killed with
/// SIGKILL while it holds a PR's lease: every delivery is processed, each PR ends with one comment and
/// a status for its last push, and nothing ran twice.
/// </summary>
public sealed class ReplicaTests : IAsyncLifetime
{
    private const string Secret = "s3cret";
    private static readonly int[] Prs = [31, 32, 33];

    private FakeGitHub _github = null!;
    private Scenario _scenario = null!;
    private readonly TempDir _data = new("planbot-replicas");
    private readonly string _table = $"leases-{Guid.NewGuid():N}"[..20];
    private readonly string _queue = $"planbot-{Guid.NewGuid():N}"[..24];
    private readonly string _bucket = $"state-{Guid.NewGuid():N}"[..20];
    private readonly List<Process> _replicas = [];

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync();
        // one project per PR, its state in S3 (every replica plans and applies against the same state), and the repository's
        // locks and stored plans where every replica finds them (as docs/deployment.md asks of N replicas)
        using (var s3 = S3())
        {
            await s3.PutBucketAsync(_bucket);
        }

        var files = Prs.ToDictionary(pr => $"p{pr}/main.tf", pr => S3Backend(_bucket, $"p{pr}.tfstate", _table) + Resource("vpc", $"10.{pr}.0.0/16"));
        files["planbot.yaml"] = $"locks:\n  backend: dynamodb\n  dynamodb: {{ table: {_table}, region: us-east-1, endpoint: \"{TestServers.DynamoDb}\" }}\n" +
            $"plans:\n  store: s3\n  s3: {{ bucket: {_bucket}, region: us-east-1, endpoint: \"{TestServers.S3}\", sse: none }}\n";
        _scenario = await Scenario.CreateAsync(files);
        await new DynamoDbLockStore(DynamoDb(), _table, TimeProvider.System).EnsureTableAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            if (!replica.HasExited)
            {
                replica.Kill(entireProcessTree: true);
                await replica.WaitForExitAsync();
            }

            replica.Dispose();
        }

        await _github.DisposeAsync();
        _scenario.Dispose();
        _data.Dispose();
    }

    [Theory]
    [InlineData("azure")]
    [InlineData("sqs")]
    public async Task Two_replicas_on_one_queue_lose_nothing_when_one_is_killed_mid_run_and_end_on_each_prs_last_push(string backend)
    {
        await UseQueueAsync(backend);
        var baseSha = (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim();
        var heads = new Dictionary<int, List<string>>();
        foreach (var pr in Prs)
        {
            await _scenario.Repo.GitAsync("checkout", "-q", "-B", $"pr-{pr}", "main");
            heads[pr] = [];
            for (var push = 1; push <= 3; push++)
            {
                _scenario.Repo.Write($"p{pr}/main.tf", S3Backend(_bucket, $"p{pr}.tfstate", _table) + Resource("vpc", $"10.{pr}.{push}.0/24"));
                heads[pr].Add(await _scenario.Repo.CommitAsync($"pr {pr} push {push}"));
            }
        }

        // replica a alone takes the first push of every PR, so that it (not b) is the one mid-run when killed
        var (a, httpA) = await StartReplicaAsync("a");
        var deliveries = new List<string>();
        foreach (var pr in Prs)
        {
            var id = $"push-{pr}-1";
            deliveries.Add(id);
            (await DeliverAsync(httpA, pr, heads[pr][0], id)).ShouldBe(HttpStatusCode.Accepted);
        }

        // replica a holds a PR's lease (it is planning it): kill -9
        (await EventuallyAsync(async () => (await LiveLeasesAsync()).Any(l => l.Holder.StartsWith("a/", StringComparison.Ordinal)), TimeSpan.FromMinutes(3))).ShouldBeTrue("replica a never took a PR");
        a.Kill(); // SIGKILL: no shutdown, no release, its messages stay hidden until their visibility ends
        await a.WaitForExitAsync();

        // the survivor knows every delivery a accepted: a replay to it is answered 200 and never run twice
        var (b, httpB) = await StartReplicaAsync("b");
        foreach (var pr in Prs)
        {
            (await DeliverAsync(httpB, pr, heads[pr][0], $"push-{pr}-1")).ShouldBe(HttpStatusCode.OK, "a replay to the other replica is known");
        }

        // the rest of the burst, to the survivor
        foreach (var pr in Prs)
        {
            for (var push = 2; push <= 3; push++)
            {
                var id = $"push-{pr}-{push}";
                deliveries.Add(id);
                (await DeliverAsync(httpB, pr, heads[pr][push - 1], id)).ShouldBe(HttpStatusCode.Accepted);
            }
        }

        (await EventuallyAsync(async () => await AllDoneAsync(deliveries), TimeSpan.FromMinutes(6))).ShouldBeTrue(
            $"not every delivery was processed; done: {string.Join(", ", await DoneAsync(deliveries))}\n{b.StartInfo.Environment["PLANBOT_REPLICA_ID"]} log:\n{Log(b)}");

        foreach (var pr in Prs)
        {
            var last = heads[pr][^1];
            var comments = _github.CommentsOn(pr).Where(c => c.Body.Contains("PlanBot plan for", StringComparison.Ordinal)).ToArray();
            comments.Length.ShouldBe(1, $"PR {pr}: one plan comment, updated in place, never a duplicate from a second runner");
            comments[0].Body.ShouldContain($"| `p{pr}` |", Case.Sensitive, comments[0].Body);
            comments[0].Body.ShouldContain($"### PlanBot plan for `{last[..7]}`", Case.Sensitive, $"PR {pr} ends on its last push");
            var statuses = _github.Statuses.ToArray().Where(s => heads[pr].Contains(s.Sha)).ToArray();
            statuses[^1].ShouldBe((last, "success", "planbot/apply-gate", "planned; no approval needed"), $"PR {pr}: the last status written is the last push's\n{comments[0].Body}");
        }

        // nothing left on the queue, and the killed replica's PR was taken over with a greater fencing token
        (await EventuallyAsync(async () => await QueuedAsync() == 0, TimeSpan.FromSeconds(30))).ShouldBeTrue();
        // a run records its delivery done, deletes its message, then releases its lease: wait for the release, do not race it
        (await EventuallyAsync(async () => (await LiveLeasesAsync()).Count == 0, TimeSpan.FromSeconds(30))).ShouldBeTrue($"every lease released: {string.Join(", ", await LiveLeasesAsync())}");
        var stop = await httpB.GetAsync("/readyz");
        stop.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Merges_are_applied_once_each_in_merge_order_when_the_replica_applying_them_is_killed_and_pushes_arrive_twice_and_out_of_order()
    {
        await UseQueueAsync("azure");
        // each PR adds a resource whose creation appends its name to a log: a project applied twice logs twice
        var log = _data.Combine("applied.log");
        foreach (var pr in Prs)
        {
            await _scenario.Repo.GitAsync("checkout", "-q", "-B", $"pr-{pr}", "main");
            _scenario.Repo.Write($"p{pr}/marker.tf", $"resource \"terraform_data\" \"marker\" {{\n  input = \"p{pr}\"\n  provisioner \"local-exec\" {{\n    command = \"echo p{pr} >> {log}\"\n  }}\n}}\n");
            await _scenario.Repo.CommitAsync($"pr {pr}: a marker");
        }

        // replica c alone plans the PRs and takes the merges' pushes, so that it (not another) is mid-apply when killed
        var (c, httpC) = await StartReplicaAsync("c");
        foreach (var pr in Prs)
        {
            (await DeliverAsync(httpC, pr, (await _scenario.Repo.GitAsync("rev-parse", $"pr-{pr}")).Trim(), $"open-{pr}", "opened")).ShouldBe(HttpStatusCode.Accepted);
        }

        (await EventuallyAsync(() => Task.FromResult(Prs.All(pr => _github.Statuses.Any(s => s.Sha == _github.Pulls[pr]["head"]!["sha"]!.GetValue<string>() && s.State == "success"))), TimeSpan.FromMinutes(4)))
            .ShouldBeTrue($"every PR planned, its gate green\n{Log(c)}");

        var merges = new Dictionary<int, string>();
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        foreach (var pr in Prs)
        {
            await _scenario.Repo.GitAsync("-c", "user.name=Test", "-c", "user.email=test@planbot.invalid", "merge", "-q", "--no-ff", $"pr-{pr}", "-m", $"Merge #{pr}");
            merges[pr] = (await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim();
            _github.Pulls[pr]["merged"] = true;
            _github.Pulls[pr]["state"] = "closed";
            _github.Pulls[pr]["merge_commit_sha"] = merges[pr];
            _github.CommitPulls[merges[pr]] = [pr];
        }

        // the last push first, then the older ones: the last push's run applies all three merges, in merge order.
        // c is frozen when it posts the first "applying" comment: mid-run, holding the default branch's lease, no terraform running
        var applying = _github.HoldNextComment(body => body.Contains("### PlanBot is applying", StringComparison.Ordinal));
        var pushes = new List<string>();
        foreach (var pr in Prs.Reverse())
        {
            pushes.Add($"push-{pr}");
            (await PushAsync(httpC, merges[pr], $"push-{pr}")).ShouldBe(HttpStatusCode.Accepted);
        }

        // kill -9 there. (A replica killed while terraform applies is another matter: terraform dies at its next write to the
        // dead replica's pipe, possibly holding its state lock, which the takeover reports as a lock to release by hand.)
        (await Task.WhenAny(applying.Reached.Task, Task.Delay(TimeSpan.FromMinutes(4)))).ShouldBe(applying.Reached.Task, $"replica c never started an apply\n{Log(c)}");
        (await LiveLeasesAsync()).ShouldContain(l => l.Holder.StartsWith("c/", StringComparison.Ordinal), "c holds the default branch's lease");
        c.Kill();
        await c.WaitForExitAsync();
        applying.Released.TrySetResult();

        // two replicas take over, racing for the default branch's lease; a replay of a push is known, and the last push
        // arrives again under a new id (a second webhook, say) once it is done: nothing is applied twice
        var (d, httpD) = await StartReplicaAsync("d");
        var (e, httpE) = await StartReplicaAsync("e");
        (await PushAsync(httpE, merges[Prs[0]], $"push-{Prs[0]}")).ShouldBe(HttpStatusCode.OK, "a replay is known to every replica");
        (await EventuallyAsync(async () => await AllDoneAsync(pushes), TimeSpan.FromMinutes(6))).ShouldBeTrue(
            $"not every push was processed; done: {string.Join(", ", await DoneAsync(pushes))}\nd:\n{Log(d)}\ne:\n{Log(e)}");
        pushes.Add("push-again");
        (await PushAsync(httpD, merges[Prs[^1]], "push-again")).ShouldBe(HttpStatusCode.Accepted);

        (await EventuallyAsync(async () => await AllDoneAsync(pushes), TimeSpan.FromMinutes(6))).ShouldBeTrue(
            $"not every push was processed; done: {string.Join(", ", await DoneAsync(pushes))}\nd:\n{Log(d)}\ne:\n{Log(e)}");

        // each merge applied once, in merge order, its result on its PR in the one apply comment (a dead run's is taken over)
        var lines = File.ReadAllLines(log);
        lines.ShouldBe([.. Prs.Select(pr => $"p{pr}")], $"each marker created once, in merge order\nd:\n{Log(d)}\ne:\n{Log(e)}");
        foreach (var pr in Prs)
        {
            var applies = _github.CommentsOn(pr).Where(m => m.Body.StartsWith("<!-- planbot:apply -->", StringComparison.Ordinal)).ToArray();
            applies.Length.ShouldBe(1, $"#{pr}: one apply comment\n{string.Join("\n---\n", applies.Select(a => a.Body))}");
            applies[0].Body.ShouldContain($"### PlanBot apply of `{merges[pr][..7]}` (the merge of #{pr})");
            applies[0].Body.ShouldContain($"| `p{pr}` | ✅ applied", Case.Sensitive, applies[0].Body);
        }

        // the older pushes found a newer head and left their merges to its run (applying an older tree would roll it back)
        var logs = Log(c) + Log(d) + Log(e);
        foreach (var pr in Prs[..^1])
        {
            logs.ShouldContain($"{merges[pr][..7]} is no longer the head of the default branch", Case.Sensitive, logs);
        }

        (await EventuallyAsync(async () => await QueuedAsync() == 0, TimeSpan.FromSeconds(30))).ShouldBeTrue();
        // a run records its delivery done, deletes its message, then releases its lease: wait for the release, do not race it
        (await EventuallyAsync(async () => (await LiveLeasesAsync()).Count == 0, TimeSpan.FromSeconds(30))).ShouldBeTrue($"every lease released: {string.Join(", ", await LiveLeasesAsync())}");
    }

    private async Task<(Process Process, HttpClient Http)> StartReplicaAsync(string name)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var info = CliProcess.StartInfo(["serve", "--urls", url]);
        info.Environment["PLANBOT_WEBHOOK_SECRET"] = Secret;
        info.Environment["PLANBOT_DATA_DIR"] = _data.Combine(name);
        info.Environment["PLANBOT_REPLICA_ID"] = name;
        info.Environment["PLANBOT_ALLOW_FILE_CLONE"] = "1";
        info.Environment["GITHUB_API_URL"] = _github.Url.ToString();
        info.Environment["GITHUB_TOKEN"] = FakeGitHub.Token;
        info.Environment["PLANBOT_QUEUE_BACKEND"] = _backend;
        info.Environment["PLANBOT_QUEUE_URL"] = _queueUrl;
        info.Environment["AZURE_STORAGE_KEY"] = TestServers.AzuriteKey;
        info.Environment["PLANBOT_QUEUE_VISIBILITY"] = "20s"; // a takeover after a kill waits this long; long enough that a renewal is never late on a loaded machine
        info.Environment["PLANBOT_LEASE_TABLE"] = _table;
        info.Environment["PLANBOT_LEASE_ENDPOINT"] = TestServers.DynamoDb;
        info.Environment["AWS_ACCESS_KEY_ID"] = "S3RVER"; // s3rver's key (the stored plans); dynalite takes any
        info.Environment["AWS_SECRET_ACCESS_KEY"] = "S3RVER";
        info.Environment["AWS_REGION"] = "us-east-1";
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start planbot serve");
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _logs[process] = log;
        _replicas.Add(process);
        var http = new HttpClient { BaseAddress = new Uri(url) };
        (await EventuallyAsync(async () => !process.HasExited && await ReadyAsync(http), TimeSpan.FromMinutes(1))).ShouldBeTrue($"replica {name} never became ready:\n{Log(process)}");
        return (process, http);
    }

    private readonly Dictionary<Process, StringBuilder> _logs = [];

    private string Log(Process process)
    {
        var log = _logs[process];
        lock (log)
        {
            return log.ToString();
        }
    }

    private Task<HttpStatusCode> PushAsync(HttpClient http, string sha, string delivery) =>
        SendAsync(http, "push", delivery, new JsonObject
        {
            ["ref"] = "refs/heads/main", ["after"] = sha,
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main", ["clone_url"] = new Uri(_scenario.Repo.Root).AbsoluteUri },
        }.ToJsonString());

    private async Task<HttpStatusCode> DeliverAsync(HttpClient http, int pr, string head, string delivery, string action = "synchronize")
    {
        _github.AddPull(pr, head, (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim()); // GitHub's view moves with the push
        _github.Pulls[pr]["base"]!["repo"]!["clone_url"] = new Uri(_scenario.Repo.Root).AbsoluteUri;
        _github.PullFiles[pr] = [$"p{pr}/main.tf"];
        var payload = new JsonObject { ["action"] = action, ["number"] = pr, ["pull_request"] = JsonNode.Parse(_github.Pulls[pr].ToJsonString()), ["repository"] = new JsonObject { ["full_name"] = "acme/infra" } }.ToJsonString();
        return await SendAsync(http, "pull_request", delivery, payload);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, string @event, string delivery, string payload)
    {
        var body = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-GitHub-Event", @event);
        request.Headers.Add("X-GitHub-Delivery", delivery);
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body)));
        return (await http.SendAsync(request)).StatusCode;
    }

    private string _backend = "";
    private string _queueUrl = "";

    /// <summary>The shared queue the replicas get: an azurite queue, or an SQS queue (declared first, as its owners do).</summary>
    private async Task UseQueueAsync(string backend)
    {
        _backend = backend;
        if (backend == "sqs")
        {
            using var sqs = Sqs();
            _queueUrl = (await sqs.CreateQueueAsync(_queue)).QueueUrl;
        }
        else
        {
            _queueUrl = $"{TestServers.AzuriteQueue}/{_queue}";
            await Queue().CreateIfNotExistsAsync();
        }
    }

    /// <summary>Messages on the queue, hidden ones included.</summary>
    private async Task<int> QueuedAsync()
    {
        if (_backend != "sqs")
        {
            return (await Queue().GetPropertiesAsync()).Value.ApproximateMessagesCount;
        }

        using var sqs = Sqs();
        var attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = _queueUrl, AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] })).Attributes;
        return attributes.Values.Sum(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static AmazonSQSClient Sqs() => new(new BasicAWSCredentials("fake", "fake"), new AmazonSQSConfig { ServiceURL = TestServers.Sqs, AuthenticationRegion = "us-east-1" });

    private QueueClient Queue() => new(new Uri($"{TestServers.AzuriteQueue}/{_queue}"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey));

    private static AmazonS3Client S3() => new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config { ServiceURL = TestServers.S3, ForcePathStyle = true });

    private static AmazonDynamoDBClient DynamoDb() => new(new BasicAWSCredentials("fake", "fake"), new AmazonDynamoDBConfig { ServiceURL = TestServers.DynamoDb, AuthenticationRegion = "us-east-1" });

    private async Task<IReadOnlyList<(string Key, string Holder, long Token)>> LiveLeasesAsync()
    {
        using var client = DynamoDb();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var items = (await client.ScanAsync(new ScanRequest { TableName = _table, ConsistentRead = true })).Items ?? [];
        return [.. items.Where(i => i["LockID"].S.StartsWith("planbot:lease:", StringComparison.Ordinal) && long.Parse(i["expires"].N, System.Globalization.CultureInfo.InvariantCulture) > now)
            .Select(i => (i["LockID"].S, i["holder"].S, long.Parse(i["token"].N, System.Globalization.CultureInfo.InvariantCulture)))];
    }

    private async Task<IReadOnlyList<string>> DoneAsync(IEnumerable<string> deliveries)
    {
        var leases = new DynamoDbLeaseStore(DynamoDb(), _table, TimeProvider.System);
        var done = new List<string>();
        foreach (var id in deliveries)
        {
            if (await leases.IsRecordedAsync("done:" + id, CancellationToken.None))
            {
                done.Add(id);
            }
        }

        return done;
    }

    private async Task<bool> AllDoneAsync(IReadOnlyCollection<string> deliveries) => (await DoneAsync(deliveries)).Count == deliveries.Count;

    private static async Task<bool> ReadyAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync("/readyz")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Polls a condition every 100 ms until it holds or <paramref name="limit"/> passes (a bound, not a wait the test depends on).</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
