using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using PlanBot.Cli;
using PlanBot.Core.Comments;
using PlanBot.Core.Policy;
using PlanBot.Core.Workflows;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// Fan-out on GitHub Actions (docs/deployment.md): the matrix, plan and gather phases of one PR run
/// as separate `planbot run` invocations, each with its own data dir (a fresh runner per job), real
/// git and terraform (two levels joined by remote state), the fake GitHub and the plan store on
/// s3rver. The gather must post what a single job posts for the same PR: the same comment, gate and
/// check runs; a missing or altered result must fail the project, never pass it.
/// </summary>
public sealed partial class FanOutTests : IAsyncLifetime
{
    private const int Pr = 7;
    /// <summary>The repository secret every job of the fan-out is given (bytes 0…31).</summary>
    private const string PlanKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private readonly TempDir _dir = new("planbot-fanout");
    private readonly EnvironmentScope _environment = new();
    private readonly string _bucket = $"fanout-{Guid.NewGuid():N}"[..30];
    private Scenario _scenario = null!;
    private string _head = null!;

    public async Task InitializeAsync()
    {
        using (var s3 = S3())
        {
            await s3.PutBucketAsync(_bucket);
        }

        _scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
            ["dns/main.tf"] = LocalBackend + Resource("zone", "example.org"),
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "app in ${data.terraform_remote_state.upstream.outputs.cidr}"),
            ["web/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("site", "web in ${data.terraform_remote_state.upstream.outputs.cidr}"),
            ["planbot.yaml"] = $"plans:\n  store: s3\n  s3: {{ bucket: {_bucket}, region: us-east-1, endpoint: \"{TestServers.S3}\", sse: none }}\n",
        });
        foreach (var dir in new[] { "network", "dns", "app", "web" })
        {
            await _scenario.ApplyAsync(dir);
        }

        await _scenario.Repo.GitAsync("checkout", "-q", "-B", $"pr-{Pr}", "main");
        var changes = new Dictionary<string, string>
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.1.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
            ["dns/main.tf"] = LocalBackend + Resource("zone", "example.net"),
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "app v2 in ${data.terraform_remote_state.upstream.outputs.cidr}"),
            ["web/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("site", "web v2 in ${data.terraform_remote_state.upstream.outputs.cidr}"),
        };
        foreach (var (path, content) in changes)
        {
            _scenario.Repo.Write(path, content);
        }

        _head = await _scenario.Repo.CommitAsync("change every project");
        _changed = [.. changes.Keys];
        _base = (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim();
        foreach (var (name, value) in new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = "S3RVER",
            ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
            ["AWS_REGION"] = "us-east-1",
            ["GITHUB_REPOSITORY"] = "acme/infra",
            ["GITHUB_TOKEN"] = FakeGitHub.Token,
            ["GITHUB_WORKSPACE"] = _scenario.Repo.Root,
            ["GITHUB_RUN_ID"] = "4242", // every job of one workflow run shares its run id
            ["PLANBOT_PLAN_KEY"] = PlanKey, // required by a fan-out: the jobs hand over sealed results
            ["GITHUB_EVENT_NAME"] = "pull_request",
            ["PLANBOT_PHASE"] = null,
            ["PLANBOT_FANOUT_PROJECTS"] = null,
            ["PLANBOT_FANOUT_MAX_JOBS"] = null,
        })
        {
            _environment.Set(name, value);
        }
    }

    private string[] _changed = [];
    private string _base = null!;

    public Task DisposeAsync()
    {
        _environment.Dispose();
        _scenario.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private static AmazonS3Client S3() => new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config
    {
        ServiceURL = TestServers.S3,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    private async Task<FakeGitHub> GitHubAsync()
    {
        var github = await FakeGitHub.StartAsync();
        github.AddPull(Pr, _head, _base);
        github.PullFiles[Pr] = [.. _changed];
        return github;
    }

    /// <summary>One `planbot run` as one job of the workflow: its own data dir, output file and job summary.</summary>
    private async Task<(int Code, string Err, string Output)> RunAsync(FakeGitHub github, string job, params string[] args)
    {
        var eventPath = await EventFileAsync(github, job);
        var output = _dir.Combine($"output-{job}");
        File.Delete(output); // a job's GITHUB_OUTPUT is its own
        _environment.Set("GITHUB_EVENT_PATH", eventPath);
        _environment.Set("GITHUB_API_URL", github.Url.ToString());
        _environment.Set("PLANBOT_DATA_DIR", _dir.Combine($"data-{job}"));
        _environment.Set("GITHUB_OUTPUT", output);
        _environment.Set("GITHUB_STEP_SUMMARY", _dir.Combine($"summary-{job}.md"));
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["run", .. args], new StringWriter(), stderr);
        return (code, stderr.ToString(), File.Exists(output) ? await File.ReadAllTextAsync(output) : "");
    }

    /// <summary>The pull_request event as GitHub writes it to GITHUB_EVENT_PATH for one job.</summary>
    private async Task<string> EventFileAsync(FakeGitHub github, string job)
    {
        var eventPath = _dir.Combine($"event-{job}.json");
        await File.WriteAllTextAsync(eventPath, new JsonObject
        {
            ["action"] = "synchronize",
            ["number"] = Pr,
            ["pull_request"] = JsonNode.Parse(github.Pulls[Pr].ToJsonString()),
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" },
        }.ToJsonString());
        return eventPath;
    }

    private static string OutputOf(string outputs, string name) =>
        outputs.Split('\n').Single(l => l.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];

    /// <summary>The matrix job; returns its entries (as the workflow's plan jobs get them).</summary>
    private async Task<JsonArray> MatrixAsync(FakeGitHub github, params string[] args)
    {
        var (code, err, output) = await RunAsync(github, "matrix", ["--phase", "matrix", .. args]);
        code.ShouldBe(0, err);
        var matrix = JsonNode.Parse(OutputOf(output, "matrix"))!["include"]!.AsArray();
        OutputOf(output, "count").ShouldBe(matrix.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return matrix;
    }

    private async Task PlanEntryAsync(FakeGitHub github, JsonNode entry)
    {
        var (code, err, _) = await RunAsync(github, "plan-" + entry["id"], "--phase", "plan", "--projects", entry["projects"]!.ToJsonString());
        code.ShouldBe(0, err);
    }

    private async Task<(int Code, string Err)> GatherAsync(FakeGitHub github)
    {
        var (code, err, _) = await RunAsync(github, "gather", "--phase", "gather");
        return (code, err);
    }

    [GeneratedRegex(@"<!-- planbot:meta [A-Za-z0-9+/=]* -->")]
    private static partial Regex MetaLine();

    /// <summary>The comment as people read it: the hidden metadata holds times (planned at, lock expiry) that differ run to run.</summary>
    private static string Visible(string body) => MetaLine().Replace(body, "<!-- planbot:meta … -->");

    private static IReadOnlyDictionary<string, string> Fingerprints(string body) =>
        ApprovalLedger.Plan(PlanCommentMeta.Read(body))?.Fingerprints ?? throw new ShouldAssertException("the comment holds no plan metadata");

    [Fact]
    public async Task Matrix_plan_and_gather_as_separate_runs_post_the_single_jobs_comment_gate_and_check_runs()
    {
        await using var single = await GitHubAsync();
        var (singleCode, singleErr, _) = await RunAsync(single, "single");
        singleCode.ShouldBe(0, singleErr);

        await using var fanned = await GitHubAsync();
        var matrix = await MatrixAsync(fanned);
        matrix.Select(e => (e!["level"]!.GetValue<int>(), e["projects"]!.AsArray().Single()!.GetValue<string>()))
            .ShouldBe([(1, "dns"), (1, "network"), (2, "app"), (2, "web")]);
        fanned.CommentsOn(Pr).Single().Body.ShouldContain("PlanBot is planning", customMessage: "the matrix job takes the PR's locks as a single job does at its start (github backend: the planning… comment)");
        fanned.Statuses.Last().State.ShouldBe("pending");

        foreach (var entry in matrix.OrderBy(e => e!["level"]!.GetValue<int>()))
        {
            await PlanEntryAsync(fanned, entry!);
        }

        fanned.CommentsOn(Pr).Single().Body.ShouldContain("PlanBot is planning", customMessage: "a plan job posts nothing");
        var (code, err) = await GatherAsync(fanned);
        code.ShouldBe(0, err);

        var expected = single.CommentsOn(Pr).Single().Body;
        var actual = fanned.CommentsOn(Pr).Single().Body;
        expected.ShouldContain("10.1.0.0/16");
        Visible(actual).ShouldBe(Visible(expected));
        Fingerprints(actual).ShouldBe(Fingerprints(expected), "the approval is recorded against the same plans");
        fanned.Statuses.Last().ShouldBe(single.Statuses.Last());
        fanned.CheckRuns.Select(c => c.ToJsonString()).ShouldBe(single.CheckRuns.Select(c => c.ToJsonString()));
        single.CheckRuns.Count.ShouldBe(4);
    }

    [Fact]
    public async Task Batches_hold_one_level_each_and_give_the_same_comment()
    {
        await using var single = await GitHubAsync();
        (await RunAsync(single, "single")).Code.ShouldBe(0);

        await using var fanned = await GitHubAsync();
        var matrix = await MatrixAsync(fanned, "--max-jobs", "2");
        matrix.Select(e => (e!["level"]!.GetValue<int>(), string.Join(",", e["projects"]!.AsArray().Select(p => p!.GetValue<string>()))))
            .ShouldBe([(1, "dns,network"), (2, "app,web")]);
        foreach (var entry in matrix)
        {
            await PlanEntryAsync(fanned, entry!);
        }

        (await GatherAsync(fanned)).Code.ShouldBe(0);
        Visible(fanned.CommentsOn(Pr).Single().Body).ShouldBe(Visible(single.CommentsOn(Pr).Single().Body));
    }

    [Fact]
    public async Task A_matrix_job_that_left_no_result_fails_its_project_and_the_gate_and_its_dependents_are_skipped()
    {
        await using var fanned = await GitHubAsync();
        var matrix = await MatrixAsync(fanned);
        foreach (var entry in matrix.Where(e => e!["projects"]!.AsArray().Single()!.GetValue<string>() != "network"))
        {
            await PlanEntryAsync(fanned, entry!);
        }

        var (code, _) = await GatherAsync(fanned);
        code.ShouldNotBe(0);
        var body = fanned.CommentsOn(Pr).Single().Body;
        body.ShouldContain("no result in the plan store: its matrix job failed, was cancelled or did not run");
        body.ShouldContain("depends on network, which did not succeed");
        var gate = fanned.Statuses.Last();
        gate.State.ShouldBe("failure");
        gate.Description.ShouldContain("network");
        gate.Description.ShouldContain("app");
    }

    [Fact]
    public async Task A_stored_result_altered_in_the_store_is_refused_by_its_checksum_and_fails_the_gate()
    {
        await using var fanned = await GitHubAsync();
        foreach (var entry in await MatrixAsync(fanned))
        {
            await PlanEntryAsync(fanned, entry!);
        }

        // someone with write access to the bucket edits dns's stored result: one byte changed
        using (var s3 = S3())
        {
            var key = "planbot/" + FanOutResults.Key("acme/infra", Pr, _head, "4242", "dns").Name;
            byte[] bytes;
            using (var response = await s3.GetObjectAsync(_bucket, key))
            using (var buffer = new MemoryStream())
            {
                await response.ResponseStream.CopyToAsync(buffer);
                bytes = buffer.ToArray();
            }

            bytes[^10] ^= 0x01;
            using var body = new MemoryStream(bytes);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, InputStream = body, UseChunkEncoding = false });
        }

        var (code, _) = await GatherAsync(fanned);
        code.ShouldNotBe(0);
        fanned.CommentsOn(Pr).Single().Body.ShouldContain("its stored result is refused");
        fanned.Statuses.Last().State.ShouldBe("failure");
        fanned.Statuses.Last().Description.ShouldBe("not planned: dns");
    }

    [Fact]
    public async Task A_later_workflow_run_of_the_same_head_never_reads_the_results_an_earlier_run_left()
    {
        await using var fanned = await GitHubAsync();
        foreach (var entry in await MatrixAsync(fanned))
        {
            await PlanEntryAsync(fanned, entry!);
        }

        // a new workflow run of the same head (a reopened PR: a new GITHUB_RUN_ID) whose plan jobs all failed before storing anything
        _environment.Set("GITHUB_RUN_ID", "4243");
        await MatrixAsync(fanned);
        var (code, _) = await GatherAsync(fanned);
        code.ShouldNotBe(0);
        fanned.Statuses.Last().State.ShouldBe("failure");
        fanned.Statuses.Last().Description.ShouldBe("not planned: dns, network, app, web");
    }

    [Fact]
    public async Task A_plan_job_given_a_project_this_head_does_not_affect_fails_naming_it()
    {
        await using var fanned = await GitHubAsync();
        await MatrixAsync(fanned);
        var (code, err, _) = await RunAsync(fanned, "plan-x", "--phase", "plan", "--projects", "[\"nope\"]");
        code.ShouldNotBe(0);
        err.ShouldContain("'nope'");
        err.ShouldContain("re-run the whole workflow");
        fanned.CommentsOn(Pr).Single().Body.ShouldContain("PlanBot is planning", customMessage: "a plan job's error is not posted on the PR: the gather reports the projects");
        fanned.Statuses.Last().State.ShouldBe("pending");
    }

    [Fact]
    public async Task Fan_out_without_a_shared_plan_store_is_refused_with_the_fix()
    {
        // plans is a policy key: the default branch's planbot.yaml decides it
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("planbot.yaml", "plans:\n  store: local\n");
        _base = await _scenario.Repo.CommitAsync("local plan store");
        await _scenario.Repo.GitAsync("checkout", "-q", $"pr-{Pr}");
        await using var fanned = await GitHubAsync();
        var (code, err, _) = await RunAsync(fanned, "matrix", "--phase", "matrix");
        code.ShouldNotBe(0);
        err.ShouldContain("set plans.store to s3 or azure");
    }

    [Theory]
    [InlineData("matrix")]
    [InlineData("plan")]
    [InlineData("gather")]
    [InlineData("apply-matrix")]
    [InlineData("apply")]
    [InlineData("apply-gather")]
    public async Task A_fanned_out_run_without_a_plan_key_exits_2_naming_the_input_and_the_fix(string phase)
    {
        _environment.Set("PLANBOT_PLAN_KEY", null);
        await using var fanned = await GitHubAsync();
        string[] args = phase is "plan" or "apply" ? ["--phase", phase, "--projects", "[\"dns\"]"] : ["--phase", phase];
        var (code, err, output) = await RunAsync(fanned, phase, args);
        code.ShouldBe(2, err);
        err.ShouldContain($"--phase {phase}: a fanned-out run needs the plan-key input (PLANBOT_PLAN_KEY)");
        err.ShouldContain("openssl rand -base64 32");
        err.ShouldContain("plan-key: ${{ secrets.PLANBOT_PLAN_KEY }}");
        fanned.CommentsOn(Pr).ShouldBeEmpty("refused before anything is written on the PR");
        fanned.Statuses.ShouldBeEmpty();
        output.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_result_of_one_project_put_under_anothers_key_is_refused_naming_it_even_resealed_with_the_plan_key()
    {
        await using var fanned = await GitHubAsync();
        foreach (var entry in await MatrixAsync(fanned))
        {
            await PlanEntryAsync(fanned, entry!);
        }

        // network's plan job (the PR's code) writes its own sealed result where dns's belongs
        var networkKey = FanOutResults.Key("acme/infra", Pr, _head, "4242", "network");
        var dnsKey = FanOutResults.Key("acme/infra", Pr, _head, "4242", "dns");
        var network = await GetObjectAsync(networkKey);
        await PutObjectAsync(dnsKey, network);
        var (code, _) = await GatherAsync(fanned);
        code.ShouldNotBe(0);
        var body = fanned.CommentsOn(Pr).Single().Body;
        body.ShouldContain("its stored result is refused");
        body.ShouldContain("copied from another pull request, head or project");
        fanned.Statuses.Last().State.ShouldBe("failure");
        fanned.Statuses.Last().Description.ShouldBe("not planned: dns");

        // re-sealed for dns's key with the plan key (which the plan job holds): its content still says network, and it is refused
        var key = PlanBot.Core.Plans.PlanEnvelope.KeyFrom(PlanKey);
        var opened = PlanBot.Core.Plans.PlanEnvelope.Open(network, key, "network", networkKey);
        await PutObjectAsync(dnsKey, PlanBot.Core.Plans.PlanEnvelope.Seal(opened, key, dnsKey));
        (code, _) = await GatherAsync(fanned);
        code.ShouldNotBe(0);
        body = fanned.CommentsOn(Pr).Single().Body;
        body.ShouldContain($"it is the result of network at {_head}, run 4242");
        body.ShouldContain($"not of dns at {_head}, run 4242");
        fanned.Statuses.Last().Description.ShouldBe("not planned: dns");
    }

    private async Task<byte[]> GetObjectAsync(PlanBot.Core.Ports.PlanKey key)
    {
        using var s3 = S3();
        using var response = await s3.GetObjectAsync(_bucket, "planbot/" + key.Name);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private async Task PutObjectAsync(PlanBot.Core.Ports.PlanKey key, byte[] bytes)
    {
        using var s3 = S3();
        using var body = new MemoryStream(bytes);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "planbot/" + key.Name, InputStream = body, UseChunkEncoding = false });
    }
}
