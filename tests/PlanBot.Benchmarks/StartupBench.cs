using System.Globalization;
using System.Text.Json.Nodes;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Benchmarks;

/// <summary>
/// Issue 19's figures: whole-process cost of the published `planbot` (as the Dockerfile ships it) for
/// small real plans, 1,000 and 10,000 changes, `--version` and a no-op `planbot run`. Every round runs
/// every case once (paired: a busy moment hits all of them), medians are reported. CPU and RSS are
/// steadier than wall time on a shared machine; the load average is printed beside them.
/// `-- startup [--rounds N] [--no-publish | --published DLL] [--aot planbot-render] [--skip-pr | --only-pr [--versus DLL,…] [--first-only] [--trace [--wrap CMD]] | --only-noop [--wrap CMD] [--versus DLL,…]]`; the 24-project PR is <see cref="PrOverheadBench"/>.
/// </summary>
public static class StartupBench
{
    /// <summary>Five small real plans (1–8 changes) from ../shared/fixtures/plans, as most PRs are.</summary>
    public static readonly string[] SmallPlans =
    [
        "opentofu/show-json__basic-create.json",        // 3 creates, outputs
        "jond3k-tfplan-validator/update.json",          // 1 update
        "ovsds-tf-plan-format/sensitive.json",          // 1 replace, sensitive values
        "hashicorp-terraform-json/120_basic.json",      // 7 creates in modules, sensitive outputs
        "dineshba-tf-summarize/example.json",           // 8 changes with drift
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Option(args, "--rounds") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 9;
        // --published DLL measures a build published elsewhere (e.g. before/after a change, side by side)
        var dll = Option(args, "--published") is { } given ? Path.GetFullPath(given)
            : args.Contains("--no-publish") && File.Exists(RenderBench.PublishedDll) ? RenderBench.PublishedDll : await RenderBench.PublishAsync();
        if (args.Contains("--only-pr"))
        {
            // --versus DLL,…: other builds in the same rounds; --trace: each build's PLANBOT_TRACE_STARTUP once after the rounds
            return await PrOverheadBench.RunAsync([dll, .. (Option(args, "--versus") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath)], rounds, args.Contains("--trace"), Option(args, "--wrap"), args.Contains("--first-only"));
        }

        if (args.Contains("--only-noop"))
        {
            return await ProfileNoOpAsync(dll, rounds, Option(args, "--wrap"), Option(args, "--versus"));
        }

        Console.WriteLine($"startup: published {dll}; {rounds} paired rounds (+1 warm-up), {ChildTimer.Load()}");

        var cases = new List<(string Name, string[] Command, string Target)> { ("planbot --version", [.. Launch(dll), "--version"], "") };
        foreach (var plan in SmallPlans)
        {
            cases.Add(($"render {plan}", [.. Launch(dll), "render", "--plan-json", Fixtures.Path("plans", plan)], "≤ 60 ms, ≤ 40 MiB"));
        }

        foreach (var (resources, target) in new[] { (1_000, "≤ 150 ms, ≤ 60 MiB"), (10_000, "≤ 400 ms, ≤ 120 MiB") })
        {
            var path = Path.Combine(Path.GetTempPath(), $"planbot-bench-render-{resources}.json");
            if (!File.Exists(path))
            {
                await File.WriteAllTextAsync(path, PlanGenerator.Plan(resources));
            }

            cases.Add(($"render {resources:N0} changes", [.. Launch(dll), "render", "--plan-json", path], target));
        }

        // --aot BINARY: the NativeAOT planbot-render (src/PlanBot.Render) on the same plans, beside the JIT build
        if (Option(args, "--aot") is { } aot)
        {
            var renders = cases.Where(c => c.Name.StartsWith("render ", StringComparison.Ordinal)).ToArray();
            foreach (var (name, command, target) in renders)
            {
                cases.Add(($"planbot-render (AOT) {name["render ".Length..]}", [Path.GetFullPath(aot), .. command[^2..]], target));
            }
        }

        await using var noOp = await NoOpRun.CreateAsync(dll);
        cases.Add(("run: pull_request, nothing affected", noOp.Command, "≤ 150 ms"));

        var costs = cases.Select(_ => new List<Cost>()).ToArray();
        var outputs = new int[cases.Count];
        for (var round = 0; round <= rounds; round++)
        {
            for (var i = 0; i < cases.Count; i++)
            {
                var (cost, stdout, stderr) = await ChildTimer.RunAsync(cases[i].Command, environment: i == cases.Count - 1 ? noOp.Environment() : null);
                if (cost.ExitCode != 0)
                {
                    Console.Error.WriteLine($"startup: {cases[i].Name} exited {cost.ExitCode}: {stderr}");
                    return 1;
                }

                outputs[i] = stdout.Length;
                if (round > 0)
                {
                    costs[i].Add(cost); // round 0 warms the disk cache and the runtime's files
                }
            }
        }

        var version = ChildTimer.Median(costs[0].Select(c => c.WallMs));
        Console.WriteLine($"{"case",-58} {"wall ms",8} {"cpu ms",8} {"RSS MiB",8} {"×--version",10}  target");
        for (var i = 0; i < cases.Count; i++)
        {
            var wall = ChildTimer.Median(costs[i].Select(c => c.WallMs));
            var cpu = ChildTimer.Median(costs[i].Select(c => c.CpuMs));
            var rss = ChildTimer.Median(costs[i].Select(c => c.RssMb));
            var ratio = ChildTimer.Median(Enumerable.Range(0, costs[i].Count).Select(k => costs[i][k].WallMs / costs[0][k].WallMs));
            Console.WriteLine($"{cases[i].Name,-58} {ChildTimer.Ms(wall),8} {ChildTimer.Ms(cpu),8} {rss,8:0.0} {ratio,10:0.00}  {cases[i].Target}{(outputs[i] > 0 && i > 0 && i < cases.Count - 1 ? $" (comment {outputs[i]:N0} chars)" : "")}");
        }

        Console.WriteLine($"startup: done, {ChildTimer.Load()} (--version median {ChildTimer.Ms(version)} ms)");
        return args.Contains("--skip-pr") ? 0 : await PrOverheadBench.RunAsync([dll], Math.Max(3, rounds / 3));
    }

    /// <summary>
    /// `--only-noop [--wrap "strace -f -tt"] [--versus DLL,DLL…]`: the no-op `planbot run` alone, with PLANBOT_TRACE_STARTUP=1
    /// (its phases on stderr, printed here) and optionally under a profiler, to find where its time goes. `--versus`
    /// runs other published builds in the same rounds (paired: a busy moment hits all of them) and prints each one's medians.
    /// </summary>
    private static async Task<int> ProfileNoOpAsync(string dll, int rounds, string? wrap, string? versus = null)
    {
        await using var noOp = await NoOpRun.CreateAsync(dll);
        string[] dlls = [dll, .. (versus ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath)];
        var costs = dlls.Select(_ => new List<Cost>()).ToArray();
        for (var round = 0; round <= rounds; round++)
        {
            for (var d = 0; d < dlls.Length; d++)
            {
                var environment = noOp.Environment();
                environment["PLANBOT_TRACE_STARTUP"] = "1";
                var command = (wrap?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? []).Concat([.. Launch(dlls[d]), "run"]).ToArray();
                var (cost, _, stderr) = await ChildTimer.RunAsync(command, environment: environment);
                Console.WriteLine($"--- round {round}, {dlls[d]}: exit {cost.ExitCode}, wall {ChildTimer.Ms(cost.WallMs)} ms, cpu {ChildTimer.Ms(cost.CpuMs)} ms, RSS {cost.RssMb:0.0} MiB, {ChildTimer.Load()}");
                Console.WriteLine(stderr.Length > 20_000 ? stderr[^20_000..] : stderr);
                if (cost.ExitCode != 0)
                {
                    return 1;
                }

                if (round > 0)
                {
                    costs[d].Add(cost);
                }
            }
        }

        for (var d = 0; d < dlls.Length; d++)
        {
            Console.WriteLine($"no-op run {dlls[d]}: median wall {ChildTimer.Ms(ChildTimer.Median(costs[d].Select(c => c.WallMs)))} ms, cpu {ChildTimer.Ms(ChildTimer.Median(costs[d].Select(c => c.CpuMs)))} ms, RSS {ChildTimer.Median(costs[d].Select(c => c.RssMb)):0.0} MiB");
        }

        return 0;
    }

    /// <summary>How to start a published build: `dotnet planbot.dll`, or a NativeAOT `planbot` executable directly.</summary>
    internal static string[] Launch(string published) =>
        published.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ["dotnet", published] : [published];

    internal static string? Option(string[] args, string name) =>
        Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;

    /// <summary>A pull_request event whose PR changes only a README: `planbot run` reads it, finds nothing affected, says so on the PR.</summary>
    private sealed class NoOpRun : IAsyncDisposable
    {
        private readonly FakeGitHub _github;
        private readonly Scenario _scenario;
        private readonly TempDir _dir = new("planbot-bench-noop");
        private int _runs;

        private NoOpRun(FakeGitHub github, Scenario scenario, string dll)
        {
            _github = github;
            _scenario = scenario;
            Command = [.. Launch(dll), "run"];
        }

        public string[] Command { get; }

        public static async Task<NoOpRun> CreateAsync(string dll)
        {
            var github = await FakeGitHub.StartAsync();
            var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
            {
                ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16"),
                ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v1"),
            });
            await scenario.Repo.GitAsync("checkout", "-q", "-B", "pr-7");
            scenario.Repo.Write("README.md", "docs only\n");
            var head = await scenario.Repo.CommitAsync("docs");
            await scenario.Repo.GitAsync("checkout", "-q", "--detach"); // as action/plan.yml's actions/checkout (ref: the PR head) leaves the workspace
            github.AddPull(7, head, (await scenario.Repo.GitAsync("rev-parse", "main")).Trim());
            github.PullFiles[7] = ["README.md"];
            var run = new NoOpRun(github, scenario, dll);
            await File.WriteAllTextAsync(run._dir.Combine("event.json"), new JsonObject
            {
                ["action"] = "synchronize",
                ["number"] = 7,
                ["pull_request"] = JsonNode.Parse(github.Pulls[7].ToJsonString()),
                ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" },
            }.ToJsonString());
            return run;
        }

        /// <summary>What GitHub Actions sets for a step; a fresh data dir every run, as a runner has.</summary>
        public Dictionary<string, string?> Environment()
        {
            var run = (++_runs).ToString(CultureInfo.InvariantCulture);
            return Actions(_github, _dir, _scenario.Repo.Root, "pull_request", _dir.Combine("event.json"), run);
        }

        public async ValueTask DisposeAsync()
        {
            await _github.DisposeAsync();
            _scenario.Dispose();
            _dir.Dispose();
        }
    }

    internal static Dictionary<string, string?> Actions(FakeGitHub github, TempDir dir, string workspace, string eventName, string eventPath, string run) => new()
    {
        ["GITHUB_EVENT_NAME"] = eventName,
        ["GITHUB_EVENT_PATH"] = eventPath,
        ["GITHUB_REPOSITORY"] = "acme/infra",
        ["GITHUB_TOKEN"] = FakeGitHub.Token,
        ["GITHUB_API_URL"] = github.Url.ToString(),
        ["GITHUB_WORKSPACE"] = workspace,
        ["GITHUB_RUN_ID"] = run,
        ["PLANBOT_DATA_DIR"] = dir.Combine($"data-{run}"),
        ["GITHUB_OUTPUT"] = dir.Combine("output"),
        ["GITHUB_STEP_SUMMARY"] = dir.Combine("summary.md"),
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["TF_IN_AUTOMATION"] = "1",
        ["CHECKPOINT_DISABLE"] = "1",
    };
}
