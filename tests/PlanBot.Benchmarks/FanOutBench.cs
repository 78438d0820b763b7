using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PlanBot.Terraform.Git;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Benchmarks;

/// <summary>
/// Issue 18's fan-out figure: a PR changing 40 terraform_data projects in 2 levels (20 reading the
/// state of the other 20), planned by the published `planbot run` as one job (parallelism 4), and as
/// the fan-out's matrix job, four plan jobs (max-jobs 4: two batches of 10 per level) run as parallel
/// processes, and the gather. Every job gets its own fresh clone and data dir, as a runner would; the
/// state files live outside the clones (a shared backend), the plan store is s3rver. The wall time of
/// the fan-out is matrix + the slowest plan job + gather. The plan jobs are also run one at a time,
/// each alone on the machine: their slowest is what four runners of this machine's size would take.
/// `-- fanout [--rounds N] [--published DLL]`.
/// </summary>
public static partial class FanOutBench
{
    private const int PerLevel = 20;
    private const int Pr = 40;

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Option(args, "--rounds") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 3;
        using var dir = new TempDir("planbot-bench-fanout");
        var dll = Option(args, "--published") is { } given ? Path.GetFullPath(given) : await PublishAsync(dir.Combine("publish"));
        await using var github = await FakeGitHub.StartAsync();
        Console.WriteLine($"fanout: applying {2 * PerLevel} projects on main, {ChildTimer.Load()}");
        var bucket = $"fanout-bench-{Guid.NewGuid():N}"[..28];
        await CreateBucketAsync(bucket);
        var (scenario, head, changed) = await CreateAsync(dir, $"parallelism: 4\nplans:\n  store: s3\n  s3: {{ bucket: {bucket}, region: us-east-1, endpoint: \"{TestServers.S3}\", sse: none }}\n");
        using var owned = scenario;
        var repo = scenario.Repo.Root;

        var single = new List<double>();
        var fanned = new List<double>();
        var alone = new List<double>();
        var phases = new List<(double Matrix, double Plan, double Gather)>();
        for (var round = 0; round <= rounds; round++)
        {
            var pr = Pr + round;
            github.AddPull(pr, head, (await GitCli.RunAsync(repo, ["rev-parse", "main"], CancellationToken.None)).Trim());
            github.PullFiles[pr] = [.. changed];
            var one = await JobAsync(dll, github, dir, repo, head, pr, $"single-{round}", []);
            if (one.Cost.ExitCode != 0)
            {
                Console.Error.WriteLine($"fanout: the single job exited {one.Cost.ExitCode}: {Tail(one.Stderr)}");
                return 1;
            }

            var singleComment = Visible(github.CommentsOn(pr).Single().Body);
            var singleGate = github.Statuses.Last();
            github.Pulls[pr]["state"] = "closed"; // its project locks (github backend: in its comment) go with it, so the fan-out's PR can take them

            var fanPr = pr + 100;
            github.AddPull(fanPr, head, (await GitCli.RunAsync(repo, ["rev-parse", "main"], CancellationToken.None)).Trim());
            github.PullFiles[fanPr] = [.. changed];
            var matrix = await JobAsync(dll, github, dir, repo, head, fanPr, $"matrix-{round}", [("PLANBOT_PHASE", "matrix"), ("PLANBOT_FANOUT_MAX_JOBS", "4")]);
            if (matrix.Cost.ExitCode != 0)
            {
                Console.Error.WriteLine($"fanout: the matrix job exited {matrix.Cost.ExitCode}: {Tail(matrix.Stderr)}");
                return 1;
            }

            var entries = JsonNode.Parse(matrix.Outputs.Split('\n').Single(l => l.StartsWith("matrix=", StringComparison.Ordinal))["matrix=".Length..])!["include"]!.AsArray();
            if (entries.Count != 4)
            {
                Console.Error.WriteLine($"fanout: the matrix has {entries.Count} entries, not 4");
                return 1;
            }

            // the four plan jobs at once on this machine (what the brief asks), timed from the first start to the last end
            // (the clones are made before each process starts, as a runner checks out before the step: not timed, as for the single job)
            var plans = await Task.WhenAll(entries.Select(e => JobAsync(dll, github, dir, repo, head, fanPr, $"plan-{round}-{e!["id"]}", [("PLANBOT_PHASE", "plan"), ("PLANBOT_FANOUT_PROJECTS", e["projects"]!.ToJsonString())])));
            var planWall = (plans.Max(p => p.Cost.StartedUnixNs + (p.Cost.WallMs * 1e6)) - plans.Min(p => p.Cost.StartedUnixNs)) / 1e6;
            var failed = plans.FirstOrDefault(p => p.Cost.ExitCode != 0);
            if (failed.Cost is not null)
            {
                Console.Error.WriteLine($"fanout: a plan job exited {failed.Cost.ExitCode}: {Tail(failed.Stderr)}");
                return 1;
            }

            var gather = await JobAsync(dll, github, dir, repo, head, fanPr, $"gather-{round}", [("PLANBOT_PHASE", "gather")]);
            if (gather.Cost.ExitCode != 0 || Visible(github.CommentsOn(fanPr).Single().Body) != singleComment || github.Statuses.Last() != singleGate)
            {
                Console.Error.WriteLine($"fanout: the gather exited {gather.Cost.ExitCode} or its comment/gate differs from the single job's: {Tail(gather.Stderr)}");
                return 1;
            }

            // the same four plan jobs one at a time: each alone, as on a runner of its own
            var aloneMax = 0.0;
            foreach (var e in entries)
            {
                var job = await JobAsync(dll, github, dir, repo, head, fanPr, $"alone-{round}-{e!["id"]}", [("PLANBOT_PHASE", "plan"), ("PLANBOT_FANOUT_PROJECTS", e["projects"]!.ToJsonString())]);
                aloneMax = Math.Max(aloneMax, job.Cost.WallMs);
            }

            github.Pulls[fanPr]["state"] = "closed"; // the next round's PRs take the same project locks

            if (round > 0)
            {
                single.Add(one.Cost.WallMs);
                fanned.Add(matrix.Cost.WallMs + planWall + gather.Cost.WallMs);
                alone.Add(matrix.Cost.WallMs + aloneMax + gather.Cost.WallMs);
                phases.Add((matrix.Cost.WallMs, planWall, gather.Cost.WallMs));
            }

            Console.WriteLine($"fanout: round {round}{(round == 0 ? " (warm-up)" : "")}: one job {ChildTimer.Ms(one.Cost.WallMs)} ms; fan-out matrix {ChildTimer.Ms(matrix.Cost.WallMs)} + 4 plan jobs at once {ChildTimer.Ms(planWall)} + gather {ChildTimer.Ms(gather.Cost.WallMs)} ms; slowest plan job alone {ChildTimer.Ms(aloneMax)} ms; {ChildTimer.Load()}");
        }

        Console.WriteLine($"fanout: 40 projects, 2 levels, {rounds} rounds (medians): one job {ChildTimer.Ms(ChildTimer.Median(single))} ms; " +
                          $"four matrix jobs as parallel processes on this machine {ChildTimer.Ms(ChildTimer.Median(fanned))} ms " +
                          $"(matrix {ChildTimer.Ms(ChildTimer.Median(phases.Select(p => p.Matrix)))}, plans {ChildTimer.Ms(ChildTimer.Median(phases.Select(p => p.Plan)))}, gather {ChildTimer.Ms(ChildTimer.Median(phases.Select(p => p.Gather)))}); " +
                          $"with each plan job alone (four runners) {ChildTimer.Ms(ChildTimer.Median(alone))} ms; {Environment.ProcessorCount} cores, {ChildTimer.Load()}");
        return 0;
    }

    /// <summary>One job: a fresh clone at the head, its own data dir and output file, the Actions variables.</summary>
    private static async Task<(Cost Cost, string Stderr, string Outputs)> JobAsync(string dll, FakeGitHub github, TempDir dir, string repo, string head, int pr, string job, (string Name, string Value)[] extra)
    {
        var clone = dir.Combine("clones", job);
        await GitCli.RunAsync(dir.Path, ["clone", "-q", repo, clone], CancellationToken.None);
        await GitCli.RunAsync(clone, ["checkout", "-q", head], CancellationToken.None);
        var eventPath = dir.Combine($"event-{job}.json");
        await File.WriteAllTextAsync(eventPath, new JsonObject
        {
            ["action"] = "synchronize",
            ["number"] = pr,
            ["pull_request"] = JsonNode.Parse(github.Pulls[pr].ToJsonString()),
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" },
        }.ToJsonString());
        var environment = StartupBench.Actions(github, dir, clone, "pull_request", eventPath, "4242");
        environment["PLANBOT_DATA_DIR"] = dir.Combine($"data-{job}");
        environment["GITHUB_OUTPUT"] = dir.Combine($"output-{job}");
        environment["AWS_ACCESS_KEY_ID"] = "S3RVER";
        environment["AWS_SECRET_ACCESS_KEY"] = "S3RVER";
        environment["AWS_REGION"] = "us-east-1";
        environment["PLANBOT_PLAN_KEY"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // a fan-out requires it; the single job gets it too, so both seal alike
        foreach (var (name, value) in extra)
        {
            environment[name] = value;
        }

        var (cost, _, stderr) = await ChildTimer.RunAsync(["dotnet", dll, "run"], environment: environment);
        var outputs = File.Exists(environment["GITHUB_OUTPUT"]!) ? await File.ReadAllTextAsync(environment["GITHUB_OUTPUT"]!) : "";
        return (cost, stderr, outputs);
    }

    /// <summary>40 projects l0/p*, l1/p* (l1/pN reads l0/pN's state), state outside the repository; applied on main, all changed on the PR.</summary>
    private static async Task<(Scenario Scenario, string Head, string[] Changed)> CreateAsync(TempDir dir, string planbotYaml)
    {
        var state = dir.Combine("state");
        Directory.CreateDirectory(state);
        var files = new Dictionary<string, string> { ["planbot.yaml"] = planbotYaml };
        foreach (var (path, content) in Projects(state, "v1"))
        {
            files[path] = content;
        }

        var scenario = await Scenario.CreateAsync(files);
        for (var level = 0; level < 2; level++)
        {
            for (var p = 0; p < PerLevel; p++)
            {
                await scenario.ApplyAsync($"l{level}/p{p}"); // one at a time: the applies share one log file
            }
        }

        await scenario.Repo.GitAsync("checkout", "-q", "-B", "pr");
        var changed = Projects(state, "v2").ToArray();
        foreach (var (path, content) in changed)
        {
            scenario.Repo.Write(path, content);
        }

        var head = await scenario.Repo.CommitAsync("change every project");
        return (scenario, head, [.. changed.Select(c => c.Path)]);
    }

    private static async Task CreateBucketAsync(string bucket)
    {
        using var s3 = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), new Amazon.S3.AmazonS3Config
        {
            ServiceURL = TestServers.S3,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED,
        });
        await s3.PutBucketAsync(bucket);
    }

    private static IEnumerable<(string Path, string Content)> Projects(string state, string version)
    {
        for (var level = 0; level < 2; level++)
        {
            for (var p = 0; p < PerLevel; p++)
            {
                var backend = $"terraform {{\n  backend \"local\" {{\n    path = \"{state}/l{level}-p{p}.tfstate\"\n  }}\n}}\n";
                var upstream = level == 0 ? "" : $"data \"terraform_remote_state\" \"upstream\" {{\n  backend = \"local\"\n  config = {{\n    path = \"{state}/l0-p{p}.tfstate\"\n  }}\n}}\n";
                yield return ($"l{level}/p{p}/main.tf", backend + upstream + Resource("app", $"{version}-{level}-{p}") + Resource("config", $"config-{p}") + Output("id", "terraform_data.app.output"));
            }
        }
    }

    [GeneratedRegex(@"<!-- planbot:meta [A-Za-z0-9+/=]* -->")]
    private static partial Regex MetaLine();

    private static string Visible(string body) => MetaLine().Replace(body, "");

    private static string Tail(string text) => text[Math.Max(0, text.Length - 2000)..];

    private static string? Option(string[] args, string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    /// <summary>A Release publish of PlanBot.Cli into this run's own directory (other benchmarks' publish dir is shared).</summary>
    private static async Task<string> PublishAsync(string output)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        foreach (var arg in new[] { "publish", Path.Combine(Fixtures.RepoRoot, "src", "PlanBot.Cli"), "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", output })
        {
            info.ArgumentList.Add(arg);
        }

        using var publish = Process.Start(info)!;
        _ = await publish.StandardOutput.ReadToEndAsync();
        await publish.WaitForExitAsync();
        return publish.ExitCode == 0 ? Path.Combine(output, "planbot.dll") : throw new InvalidOperationException("dotnet publish of PlanBot.Cli failed");
    }
}
