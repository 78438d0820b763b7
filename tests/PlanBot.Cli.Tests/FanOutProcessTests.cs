using System.Text.Json.Nodes;
using PlanBot.Core.Comments;
using PlanBot.Testing;
using Xunit.Abstractions;

namespace PlanBot.Cli.Tests;

/// <summary>
/// The fan-out as GitHub Actions runs it: every job a separate `planbot` OS process (the built
/// planbot.dll), given only the Action's variables, with its own data dir, temp dir, GITHUB_OUTPUT and
/// job summary; they meet only through the fake GitHub (HTTP on loopback) and s3rver. The matrix
/// process's `matrix` output is what the plan processes get, two of them at once, then the gather.
/// </summary>
public sealed partial class FanOutTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);
    private readonly ITestOutputHelper _output;

    public FanOutTests(ITestOutputHelper output) => _output = output;

    /// <summary>One job of the workflow as its own process; only what a runner sets is passed.</summary>
    private async Task<(int Code, string Err, string Output, TimeSpan Wall)> JobProcessAsync(FakeGitHub github, string job, params string[] args)
    {
        var output = _dir.Combine($"output-{job}");
        var temp = _dir.Combine($"tmp-{job}");
        Directory.CreateDirectory(temp);
        var environment = new Dictionary<string, string>
        {
            ["GITHUB_EVENT_NAME"] = "pull_request",
            ["GITHUB_EVENT_PATH"] = await EventFileAsync(github, job),
            ["GITHUB_REPOSITORY"] = "acme/infra",
            ["GITHUB_TOKEN"] = FakeGitHub.Token,
            ["GITHUB_API_URL"] = github.Url.ToString(),
            ["GITHUB_WORKSPACE"] = _scenario.Repo.Root,
            ["GITHUB_RUN_ID"] = "4242",
            ["GITHUB_OUTPUT"] = output,
            ["GITHUB_STEP_SUMMARY"] = _dir.Combine($"summary-{job}.md"),
            ["PLANBOT_DATA_DIR"] = _dir.Combine($"data-{job}"),
            ["PLANBOT_PLAN_KEY"] = PlanKey,
            ["TMPDIR"] = temp,
            ["AWS_ACCESS_KEY_ID"] = "S3RVER",
            ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
            ["AWS_REGION"] = "us-east-1",
        };
        var (code, _, err, wall) = await CliProcess.RunAsync(["run", .. args], environment, JobTimeout);
        return (code, err, File.Exists(output) ? await File.ReadAllTextAsync(output) : "", wall);
    }

    [Fact]
    public async Task The_three_phases_as_separate_processes_post_the_single_jobs_comment_gate_and_check_runs()
    {
        await using var single = await GitHubAsync();
        var one = await JobProcessAsync(single, "process-single");
        one.Code.ShouldBe(0, one.Err);

        await using var fanned = await GitHubAsync();
        var matrixJob = await JobProcessAsync(fanned, "process-matrix", "--phase", "matrix", "--max-jobs", "2");
        matrixJob.Code.ShouldBe(0, matrixJob.Err);
        var entries = JsonNode.Parse(OutputOf(matrixJob.Output, "matrix"))!["include"]!.AsArray();
        entries.Select(e => string.Join(",", e!["projects"]!.AsArray().Select(p => p!.GetValue<string>()))).ShouldBe(["dns,network", "app,web"]);

        // the matrix's entries as `toJSON(matrix.projects)` gives them, both plan jobs at once
        var plans = await Task.WhenAll(entries.Select(e => JobProcessAsync(fanned, $"process-plan-{e!["id"]}", "--phase", "plan", "--projects", e["projects"]!.ToJsonString())));
        foreach (var plan in plans)
        {
            plan.Code.ShouldBe(0, plan.Err);
            plan.Output.ShouldNotContain("matrix=", customMessage: "a plan job writes no matrix");
        }

        fanned.CommentsOn(Pr).Single().Body.ShouldContain("PlanBot is planning", customMessage: "a plan job posts nothing");
        var gather = await JobProcessAsync(fanned, "process-gather", "--phase", "gather");
        gather.Code.ShouldBe(0, gather.Err);

        // the same comment byte for byte, but for the times in its hidden metadata (when planned, lock times)
        var expected = single.CommentsOn(Pr).Single().Body;
        var actual = fanned.CommentsOn(Pr).Single().Body;
        expected.ShouldContain("10.1.0.0/16");
        Visible(actual).ShouldBe(Visible(expected));
        MetaWithoutTimes(actual).ShouldBe(MetaWithoutTimes(expected));
        fanned.Statuses.Last().ShouldBe(single.Statuses.Last());
        fanned.Statuses.Last().State.ShouldBe("success");
        fanned.CheckRuns.Select(c => c.ToJsonString()).ShouldBe(single.CheckRuns.Select(c => c.ToJsonString()));
        single.CheckRuns.Count.ShouldBe(4);

        var fanOutWall = matrixJob.Wall + plans.Max(p => p.Wall) + gather.Wall;
        _output.WriteLine($"single job {one.Wall.TotalMilliseconds:0} ms; fan-out {fanOutWall.TotalMilliseconds:0} ms = matrix {matrixJob.Wall.TotalMilliseconds:0} + plans {string.Join(" | ", plans.Select(p => p.Wall.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} (at once) + gather {gather.Wall.TotalMilliseconds:0} ms");
    }

    private static readonly HashSet<string> TimeFields = ["plannedat", "postedat", "since", "expires"];

    /// <summary>
    /// The comment's hidden metadata (plan, fingerprints, approvals, locks) without its times, the
    /// locks in name order: they are a set, recorded in the order taken (a single job takes them side
    /// by side, the matrix job one after the other).
    /// </summary>
    private static string MetaWithoutTimes(string body)
    {
        var meta = JsonNode.Parse(PlanCommentMeta.Read(body) ?? throw new ShouldAssertException("the comment holds no metadata"))!;
        Strip(meta);
        if (meta["locks"] is JsonArray locks)
        {
            meta["locks"] = new JsonArray([.. locks.Select(l => l!.ToJsonString()).Order(StringComparer.Ordinal).Select(l => JsonNode.Parse(l))]);
        }

        return meta.ToJsonString();

        static void Strip(JsonNode? node)
        {
            if (node is JsonObject obj)
            {
                foreach (var name in obj.Select(p => p.Key).ToArray())
                {
                    if (TimeFields.Contains(name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant()))
                    {
                        obj.Remove(name);
                    }
                    else
                    {
                        Strip(obj[name]);
                    }
                }
            }
            else if (node is JsonArray array)
            {
                foreach (var item in array)
                {
                    Strip(item);
                }
            }
        }
    }
}
