using System.Text.Json.Nodes;
using PlanBot.Cli.Tests.Harness;
using PlanBot.Core.Common;
using PlanBot.Core.Workflows;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// The apply after merge fanned out level by level (action/apply-fanout.yml, docs/deployment.md):
/// the apply-matrix, level and apply-gather jobs run as separate `planbot run` invocations of one
/// workflow run, each on its own data dir, handing sealed results over in the plan store (s3rver),
/// with real git and terraform (app reads network's state). The gather must post what the single
/// job posts for the same merge; a level job never applies a project before its upstream's level.
/// </summary>
public sealed class ApplyFanOutTests() : ActionRunTests("planbot-apply-fanout")
{
    private const string PlanKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // 32 bytes, a test key
    private readonly string _bucket = $"applyfan-{Guid.NewGuid():N}"[..30];

    protected override Dictionary<string, string> Files => new()
    {
        ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
        ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "app in ${data.terraform_remote_state.upstream.outputs.cidr}"),
        ["dns/main.tf"] = LocalBackend + Resource("zone", "example.org"),
        ["planbot.yaml"] = $"apply: {{ dependents: apply }}\nplans: {{ store: s3, s3: {{ bucket: {_bucket}, region: us-east-1, endpoint: \"{TestServers.S3}\", sse: none }} }}\n",
    };

    protected override async Task ArrangeAsync()
    {
        using (var s3 = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), new Amazon.S3.AmazonS3Config
        {
            ServiceURL = TestServers.S3, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED,
        }))
        {
            await s3.PutBucketAsync(_bucket);
        }

        Set("AWS_ACCESS_KEY_ID", "S3RVER");
        Set("AWS_SECRET_ACCESS_KEY", "S3RVER");
        Set("AWS_REGION", "us-east-1");
        Set("PLANBOT_PLAN_KEY", PlanKey);
        _github.Permissions["carol"] = ("write", "maintain");
        foreach (var dir in new[] { "network", "app", "dns" })
        {
            await _scenario.ApplyAsync(dir);
        }
    }

    /// <summary>Plans the PR (a single plan job) and merges it; returns the merge SHA.</summary>
    private async Task<string> PlanAndMergeAsync(int pr, string cidr, string zone, string? extraNetwork = null, string? app = null, bool approve = false)
    {
        var files = new Dictionary<string, string>
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", cidr) + Output("cidr", "terraform_data.vpc.output") + (extraNetwork ?? ""),
            ["dns/main.tf"] = LocalBackend + Resource("zone", zone),
        };
        if (app is not null)
        {
            files["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", app + " in ${data.terraform_remote_state.upstream.outputs.cidr}");
        }

        await PushAsync(pr, files);
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(pr, "opened"));
        code.ShouldBe(0, errors);
        if (approve)
        {
            (await RunAsync("issue_comment", CommentEvent(pr, "/planbot approve", "carol"))).Code.ShouldBe(0);
        }

        return await MergeAsync(pr);
    }

    private async Task<(int Code, string Err)> JobAsync(string sha, string run, string phase, params string[] projects)
    {
        Set("PLANBOT_PHASE", phase);
        Set("PLANBOT_FANOUT_PROJECTS", projects.Length == 0 ? null : new JsonArray([.. projects.Select(p => (JsonNode?)p)]).ToJsonString());
        try
        {
            return await RunAsync("push", Push(sha), runId: run);
        }
        finally
        {
            Set("PLANBOT_PHASE", null);
            Set("PLANBOT_FANOUT_PROJECTS", null);
        }
    }

    /// <summary>The apply-matrix job's outputs (GITHUB_OUTPUT).</summary>
    private async Task<Dictionary<string, string>> MatrixAsync(string sha, string run)
    {
        File.Delete(_dir.Combine("output"));
        var (code, errors) = await JobAsync(sha, run, "apply-matrix");
        code.ShouldBe(0, errors);
        return (await File.ReadAllLinesAsync(_dir.Combine("output"))).Where(l => l.Contains('=', StringComparison.Ordinal)).ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);
    }

    /// <summary>The merge's apply comment as people read it, with the merge SHA and PR number made neutral (two merges compared).</summary>
    private string ResultOf(int pr, string sha)
    {
        var results = _github.CommentsOn(pr).Where(c => c.Body.StartsWith(MergeWorkflow.Marker, StringComparison.Ordinal) && c.Body.Contains(Naming.ShortSha(sha), StringComparison.Ordinal)).ToArray();
        results.Length.ShouldBe(1, "one apply comment per merge, whatever the number of jobs");
        return results[0].Body.Replace(Naming.ShortSha(sha), "SHA", StringComparison.Ordinal).Replace($"#{pr}", "#N", StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_fanned_out_apply_posts_the_single_jobs_comment_and_no_level_applies_before_the_level_it_reads()
    {
        // the single job, for the reference comment
        var single = await PlanAndMergeAsync(60, "10.1.0.0/16", "example.net");
        var (code, errors) = await RunAsync("push", Push(single));
        code.ShouldBe(0, errors);
        var expected = ResultOf(60, single);
        expected.ShouldContain("`app` (reads `network`)");
        State("app").ShouldContain("10.1.0.0/16");

        // the same change shape, fanned out
        var merge = await PlanAndMergeAsync(61, "10.2.0.0/16", "example.com");
        const string run = "9001";
        var outputs = await MatrixAsync(merge, run);
        outputs["levels"].ShouldBe("2");
        outputs["level1"].ShouldBe("[[\"dns\"],[\"network\"]]");
        outputs["level2"].ShouldBe("[[\"app\"]]", "app reads network: it joins once network applied, one level later");
        outputs["level3"].ShouldBe("[]");
        outputs["level4"].ShouldBe("[]");

        // a level job started before the level it reads finished applies nothing
        (code, errors) = await JobAsync(merge, run, "apply", "app");
        code.ShouldBe(0, errors);
        State("app").ShouldNotContain("10.2.0.0/16");
        State("network").ShouldNotContain("10.2.0.0/16");

        foreach (var project in new[] { "dns", "network" })
        {
            (code, errors) = await JobAsync(merge, run, "apply", project);
            code.ShouldBe(0, errors);
        }

        State("network").ShouldContain("10.2.0.0/16");
        State("app").ShouldNotContain("10.2.0.0/16");
        _github.CommentsOn(61).Last().Body.ShouldContain("is applying", customMessage: "the level jobs leave the \"applying\" comment to the gather");

        (code, errors) = await JobAsync(merge, run, "apply", "app");
        code.ShouldBe(0, errors);
        State("app").ShouldContain("app in 10.2.0.0/16", customMessage: "app was re-planned against network's new output");

        (code, errors) = await JobAsync(merge, run, "apply-gather");
        code.ShouldBe(0, errors);
        ResultOf(61, merge).ShouldBe(expected);

        // a second gather (a re-run) posts nothing more, and nothing is applied twice
        (code, errors) = await JobAsync(merge, run, "apply-gather");
        code.ShouldBe(0, errors);
        ResultOf(61, merge).ShouldBe(expected);
    }

    [Fact]
    public async Task A_failed_level_one_project_skips_its_dependents_in_the_gathers_comment_as_in_the_single_job()
    {
        const string boom = "resource \"terraform_data\" \"boom\" {\n  provisioner \"local-exec\" {\n    command = \"exit 1\"\n  }\n}\n";

        var single = await PlanAndMergeAsync(62, "10.3.0.0/16", "example.net", boom, app: "app v2", approve: true);
        var (code, _) = await RunAsync("push", Push(single));
        code.ShouldNotBe(0);
        var singleRow = ResultOf(62, single).Split('\n').Single(l => l.StartsWith("| `app`", StringComparison.Ordinal));
        singleRow.ShouldContain("depends on network, which was not applied");

        var merge = await PlanAndMergeAsync(63, "10.4.0.0/16", "example.com", boom, app: "app v3", approve: true);
        const string run = "9002";
        var outputs = await MatrixAsync(merge, run);
        outputs["level1"].ShouldBe("[[\"dns\"],[\"network\"]]");
        outputs["level2"].ShouldBe("[[\"app\"]]");
        (await JobAsync(merge, run, "apply", "dns")).Code.ShouldBe(0);
        (await JobAsync(merge, run, "apply", "network")).Code.ShouldNotBe(0, "the job of a project that failed fails");
        var (appCode, appErrors) = await JobAsync(merge, run, "apply", "app");
        appCode.ShouldBe(0, appErrors);
        State("app").ShouldNotContain("app v3");
        (code, _) = await JobAsync(merge, run, "apply-gather");
        code.ShouldNotBe(0, "the gather fails as the single job does when a project failed");

        var comment = ResultOf(63, merge);
        comment.Split('\n').Single(l => l.StartsWith("| `app`", StringComparison.Ordinal)).ShouldBe(singleRow);
        comment.ShouldContain("| `dns` |");
        comment.ShouldContain("| `network` |");
    }
}
