using PlanBot.Cli.Tests;
using System.Text.Json.Nodes;
using PlanBot.Cli.Tests.Harness;
using PlanBot.Core.Runs;
using PlanBot.Testing;
using Xunit.Abstractions;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Published.Tests;

/// <summary>
/// What the NativeAOT `planbot` (<see cref="PublishedBinary"/>) does that the classes re-run on it
/// (<see cref="ActionModeOnPublishedBinaryTests"/>, <see cref="TrustBoundaryOnPublishedBinaryTests"/>) do
/// not: a merge applying the approved plan from an encrypted S3 or Azure store with DynamoDB or Blob
/// locks (the cloud SDKs' code as compiled ahead of time), a drift issue (the issues API's records),
/// and the commands the Action's build leaves out.
/// </summary>
public sealed class PublishedBinaryTests(ITestOutputHelper output) : ActionRunTests("planbot-published")
{
    private const string PlanKeyValue = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // 32 bytes, a test key

    protected override Dictionary<string, string> Files => new()
    {
        ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
        ["db/main.tf"] = LocalBackend + Resource("db", "small"),
        ["planbot.yaml"] = "locks: { backend: local }\n",
    };

    protected override async Task ArrangeAsync()
    {
        output.WriteLine($"running {PublishedBinary.Describe}");
        _github.Permissions["carol"] = ("write", "maintain");
        await _scenario.ApplyAsync("network");
        await _scenario.ApplyAsync("db");
    }

    protected override string DataDirFor(string run) => _dir.Combine("data"); // a self-hosted runner's disk

    protected override Task<(int Code, string Err)> InvokeAsync(string[] args) => PublishedBinaryRun.InvokeAsync(_environment, args);

    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task A_destroy_approved_by_comment_is_applied_at_the_merge_from_the_encrypted_remote_store(string cloud)
    {
        var name = "planbot-" + Guid.NewGuid().ToString("N")[..12];
        if (cloud == "s3")
        {
            await TestCloud.CreateBucketAsync(name);
            _environment.Set("AWS_ACCESS_KEY_ID", "S3RVER");
            _environment.Set("AWS_SECRET_ACCESS_KEY", "S3RVER");
            await TestCloud.CreateLockTableAsync(name);
            await OnMainAsync("planbot.yaml",
                $"locks:\n  backend: dynamodb\n  dynamodb: {{ table: {name}, region: us-east-1, endpoint: \"{TestServers.DynamoDb}\" }}\n" +
                $"plans: {{ store: s3, s3: {{ bucket: {name}, region: us-east-1, endpoint: \"{TestServers.S3}\", sse: none }} }}\n");
        }
        else
        {
            await TestCloud.CreateContainerAsync(name);
            _environment.Set("AZURE_STORAGE_KEY", TestServers.AzuriteKey);
            await OnMainAsync("planbot.yaml",
                $"locks:\n  backend: azure\n  azure: {{ account: {TestServers.AzuriteAccount}, container: {name}, endpoint: \"{TestServers.Azurite}\" }}\n" +
                $"plans: {{ store: azure, azure: {{ account: {TestServers.AzuriteAccount}, container: {name}, endpoint: \"{TestServers.Azurite}\" }} }}\n");
        }

        _environment.Set("PLANBOT_PLAN_KEY", PlanKeyValue);
        await PushAsync(31, new() { ["db/main.tf"] = LocalBackend, ["network/main.tf"] = LocalBackend + Resource("vpc", "10.1.0.0/16") + Output("cidr", "terraform_data.vpc.output") });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(31, "opened"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().State.ShouldBe("pending", "a destroy waits for approval");
        var plan = _github.CommentsOn(31).Single().Body;
        plan.ShouldContain("10.1.0.0/16");
        plan.ShouldContain("Destroy");

        var approval = CommentEvent(31, "/planbot approve", "carol");
        (code, errors) = await RunAsync("issue_comment", approval);
        code.ShouldBe(0, errors);
        _github.Reactions.Where(r => r.CommentId == (long)approval["comment"]!["id"]!).Select(r => r.Content).ShouldBe(["eyes", "+1"]);
        _github.Statuses.Last().State.ShouldBe("success");

        var merge = await MergeAsync(31);
        (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        var report = _github.CommentsOn(31).Last().Body;
        report.ShouldContain("| `db` | ✅ applied from the stored plan");
        report.ShouldContain("| `network` | ✅ applied from the stored plan");
        State("network").ShouldContain("10.1.0.0/16");
        State("db").ShouldNotContain("terraform_data");
    }

    [Fact]
    public async Task A_scheduled_drift_check_opens_the_drift_issue()
    {
        var path = Path.Combine(_scenario.Repo.Root, "network", "terraform.tfstate");
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("\"10.0.0.0/16\"", "\"10.9.0.0/16\"", StringComparison.Ordinal));
        var (code, errors) = await RunAsync("schedule", new JsonObject { ["schedule"] = "17 3 * * *", ["repository"] = new JsonObject { ["full_name"] = "acme/infra" } });
        code.ShouldBe(DriftReport.DriftedExitCode, errors);
        var issue = _github.Issues.Values.Single();
        issue.Title.ShouldBe("PlanBot drift report");
        issue.Labels.ShouldBe(["planbot-drift"]);
        issue.Body.ShouldContain("| `network` | `network` | ⚠️ drifted | 1 |");
    }

    /// <summary>Octokit reads GitHub's error answer into ApiError by reflection: the binary keeps those types, so the message still reaches the log.</summary>
    [Fact]
    public async Task A_refused_github_call_names_githubs_message()
    {
        await PushAsync(32, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.2.0.0/16") + Output("cidr", "terraform_data.vpc.output") });
        _github.FailNext(1, 422);
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(32, "opened"));
        code.ShouldNotBe(0);
        errors.ShouldContain("HTTP 422 injected fault");
    }

    /// <summary>
    /// The binary's gen0 budget (GCgen0size, 6 MiB, baked in by the AOT publish) covers a pull request
    /// with nothing to plan: its run ends before the first collection (issue 19: it cost ~20 ms).
    /// </summary>
    [AotBinaryFact]
    public async Task A_pull_request_with_nothing_to_plan_ends_before_the_first_garbage_collection()
    {
        await PushAsync(33, new() { ["docs/README.md"] = "no terraform here\n" });
        _environment.Set("PLANBOT_TRACE_STARTUP", "1");
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(33, "opened"));
        code.ShouldBe(0, errors);
        errors.ShouldContain("0 of 2 projects affected");
        var done = errors.Split('\n').Single(l => l.StartsWith("planbot: trace", StringComparison.Ordinal) && l.EndsWith(": done", StringComparison.Ordinal));
        done.ShouldContain(" 0 gc: done", Case.Sensitive, "no garbage collection in the whole run");
    }

    /// <summary>
    /// The Action's executable starts without expanding or relocating its type data (issue 19): it is
    /// linked at a fixed address and not dehydrated, and keeps the hardening a fixed address allows
    /// (docs/security.md "The Action's executable is not position-independent"). git, a
    /// position-independent executable, shows the reader tells the two apart.
    /// </summary>
    [AotBinaryFact]
    public void The_actions_executable_is_linked_at_a_fixed_address_and_keeps_relro_bind_now_and_a_non_executable_stack()
    {
        ElfImage.Read(OnPath("git")).PositionIndependent.ShouldBeTrue("git is a position-independent executable");
        var planbot = ElfImage.Read(PublishedBinary.Aot.ShouldNotBeNull());
        planbot.PositionIndependent.ShouldBeFalse("PositionIndependentExecutable=false");
        planbot.Sections.ShouldNotContain(".hydrated", "IlcDehydrate=false: no data to expand at start-up");
        planbot.RelRo.ShouldBeTrue();
        planbot.BindNow.ShouldBeTrue();
        planbot.ExecutableStack.ShouldBeFalse();
    }

    private static string OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)).First(File.Exists);

    [AotBinaryFact]
    public async Task The_actions_executable_leaves_the_service_commands_out_and_says_where_they_are()
    {
        PublishedBinary.Aot.ShouldNotBeNull();
        foreach (var command in new[] { "serve", "queue" })
        {
            var (code, _, err, _) = await CliProcess.RunAsync([command], new Dictionary<string, string>(), TimeSpan.FromMinutes(1), PublishedBinary.Aot);
            code.ShouldBe(2);
            err.ShouldContain($"`{command}` belongs to the webhook service");
            err.ShouldContain("docs/deployment.md");
        }

        var help = await CliProcess.RunAsync(["--help"], new Dictionary<string, string>(), TimeSpan.FromMinutes(1), PublishedBinary.Aot);
        help.Code.ShouldBe(0, help.Err);
        help.Out.ShouldContain("run");
        help.Out.ShouldNotContain("serve");
    }
}

/// <summary>Fresh buckets, lock tables and containers on the test servers.</summary>
internal static class TestCloud
{
    public static async Task CreateBucketAsync(string name)
    {
        using var s3 = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), new Amazon.S3.AmazonS3Config { ServiceURL = TestServers.S3, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await s3.PutBucketAsync(name);
    }

    public static async Task CreateLockTableAsync(string name)
    {
        using var client = new Amazon.DynamoDBv2.AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), new Amazon.DynamoDBv2.AmazonDynamoDBConfig { ServiceURL = TestServers.DynamoDb, AuthenticationRegion = "us-east-1" });
        await new PlanBot.Aws.Locks.DynamoDbLockStore(client, name, TimeProvider.System).EnsureTableAsync(CancellationToken.None);
    }

    public static Task CreateContainerAsync(string name) =>
        new global::Azure.Storage.Blobs.BlobContainerClient(new Uri($"{TestServers.Azurite}/{name}"), new global::Azure.Storage.StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey)).CreateAsync();
}

/// <summary>A fact about the NativeAOT executable itself; skipped, saying how to build it, where it has not been published.</summary>
public sealed class AotBinaryFactAttribute : FactAttribute
{
    public AotBinaryFactAttribute()
    {
        if (!PublishedBinary.Expected)
        {
            Skip = "the NativeAOT planbot is not published: dotnet publish src/PlanBot.Cli -c Release -r linux-x64 -p:PublishAot=true -o artifacts/planbot-aot (.ci/run does)";
        }
    }
}
