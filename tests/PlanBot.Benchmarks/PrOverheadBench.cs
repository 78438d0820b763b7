using System.Globalization;
using System.Text.Json.Nodes;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Benchmarks;

/// <summary>
/// Issue 19's overhead figure: a PR touching 24 projects in 3 dependency levels (terraform_data, the
/// local backend, parallelism 4) planned by the published `planbot run`, paired with a hand-written
/// script running the same 72 terraform calls (init, plan, show -json per project, 4 at once per
/// level). The wait4 rusage of each counts every terraform it reaped; PlanBot's own CPU is its
/// process's alone, read by <see cref="ChildTimer"/> before it is reaped (the old estimate, the
/// difference of the two runs' totals, is printed beside it: it was lost in their noise). A third run puts a shim in front of terraform that stamps its first start: the time
/// before the first terraform.
/// </summary>
public static partial class PrOverheadBench
{
    private const int PerLevel = 8;
    private const string Terraform = "/usr/local/bin/terraform";

    private const string Script = """
        #!/usr/bin/env bash
        # What a platform team would write by hand: per level, 4 projects at once, init + plan + show -json.
        set -u
        plan() {
          local dir=$1 out=$OUT/${1//\//_}
          mkdir -p "$out" && cd "$REPO/$dir" || exit 1
          terraform init -input=false -no-color -lock-timeout=0s >"$out/log" 2>&1 || exit 1
          terraform plan -input=false -no-color -lock-timeout=0s -detailed-exitcode -out="$out/plan.tfplan" >>"$out/log" 2>&1
          rc=$?; [ $rc -eq 0 ] || [ $rc -eq 2 ] || exit 1
          terraform show -json -no-color "$out/plan.tfplan" >"$out/plan.json" || exit 1
        }
        export -f plan
        cd "$REPO"
        for level in l0 l1 l2; do
          printf '%s\n' $level/p* | xargs -P 4 -n 1 bash -c 'plan "$0"' || exit 1
        done
        """;

    /// <param name="dlls">The published builds to measure in the same rounds (paired: a busy moment hits all of them); the first is the one under test.</param>
    /// <param name="trace">After the rounds, run each build once more with PLANBOT_TRACE_STARTUP=1 and print its trace (untimed).</param>
    /// <param name="wrap">That traced run under this command (a profiler: <c>env DOTNET_PerfMapEnabled=1 perf record -g -o FILE</c>).</param>
    /// <param name="firstOnly">Only the time before the first terraform, many rounds cheaply: the shim stamps and fails, so the run ends right after (its exit code is not checked).</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> dlls, int rounds, bool trace = false, string? wrap = null, bool firstOnly = false)
    {
        using var dir = new TempDir("planbot-bench-pr");
        await using var github = await FakeGitHub.StartAsync();
        Console.WriteLine($"pr-overhead: applying 24 projects on main, {ChildTimer.Load()}");
        using var scenario = await CreateAsync(github, dir);
        var script = dir.Combine("plan-by-hand.sh");
        await File.WriteAllTextAsync(script, Script);
        var shim = dir.Combine("terraform-shim");
        var mark = dir.Combine("first-terraform");
        Console.WriteLine($"pr-overhead: the first terraform is stamped by {await StampShim.WriteAsync(shim, mark, firstOnly ? null : Terraform)}");

        var bot = dlls.Select(_ => new List<Cost>()).ToArray();
        var byHand = new List<Cost>();
        var first = dlls.Select(_ => new List<double>()).ToArray();
        // the GitHub calls of each build's last run, and of its last shimmed run (with --first-only: the calls before the first terraform, and the first level's lock calls, as its projects then fail at once)
        var calls = new string[dlls.Count][];
        var callsToFirst = new string[dlls.Count][];
        // the shimmed runs' GitHub calls as the fake GitHub received them (unix ns), and each build's last one before its first terraform, in ms after launch
        var received = new List<(long UnixNs, string Call)>();
        var beforeFirst = new string[dlls.Count];
        var loads = new List<string>();
        var runs = 0;
        for (var round = 0; round <= rounds; round++)
        {
            // alternate which goes first, so neither always meets a warmer page cache
            var order = Enumerable.Range(-1, dlls.Count + 1).ToArray();
            if (round % 2 == 1)
            {
                Array.Reverse(order);
            }

            foreach (var which in firstOnly ? [] : order)
            {
                var run = (++runs).ToString(CultureInfo.InvariantCulture);
                var environment = StartupBench.Actions(github, dir, scenario.Repo.Root, "pull_request", dir.Combine("event.json"), run);
                var callsBefore = Calls(github).Length;
                var (cost, _, stderr) = which >= 0
                    ? await ChildTimer.RunAsync([.. StartupBench.Launch(dlls[which]), "run"], environment: environment)
                    : await ChildTimer.RunAsync(["bash", script], environment: new Dictionary<string, string?> { ["REPO"] = scenario.Repo.Root, ["OUT"] = dir.Combine($"by-hand-{run}"), ["TF_IN_AUTOMATION"] = "1", ["CHECKPOINT_DISABLE"] = "1" });
                var name = which >= 0 ? $"planbot run ({dlls[which]})" : "the script";
                if (cost.ExitCode != 0)
                {
                    Console.Error.WriteLine($"pr-overhead: {name} exited {cost.ExitCode}: {stderr}");
                    return 1;
                }

                // the comparison holds only when both ran all 72 calls: 24 plan JSONs each
                var outputs = which >= 0 ? environment["PLANBOT_DATA_DIR"]! : dir.Combine($"by-hand-{run}");
                var planned = Directory.Exists(outputs) ? Directory.EnumerateFiles(outputs, "plan.json", SearchOption.AllDirectories).Count() : 0;
                if (planned != 3 * PerLevel)
                {
                    Console.Error.WriteLine($"pr-overhead: {name} wrote {planned} plan JSONs, not {3 * PerLevel}: {stderr[Math.Max(0, stderr.Length - 2000)..]}");
                    return 1;
                }

                if (round > 0)
                {
                    (which >= 0 ? bot[which] : byHand).Add(cost);
                }

                if (which >= 0)
                {
                    calls[which] = Calls(github)[callsBefore..];
                }
            }

            foreach (var d in order.Where(w => w >= 0))
            {
                File.Delete(mark);
                var shimmed = StartupBench.Actions(github, dir, scenario.Repo.Root, "pull_request", dir.Combine("event.json"), (++runs).ToString(CultureInfo.InvariantCulture));
                shimmed["PLANBOT_TERRAFORM_BINARY"] = shim;
                var shimmedBefore = Calls(github).Length;
                lock (received)
                {
                    received.Clear();
                }

                github.BeforeAnswer = call =>
                {
                    lock (received)
                    {
                        received.Add(((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100, call));
                    }

                    return Task.CompletedTask;
                };
                var (timed, _, error) = await ChildTimer.RunAsync([.. StartupBench.Launch(dlls[d]), "run"], environment: shimmed);
                github.BeforeAnswer = null;
                callsToFirst[d] = Calls(github)[shimmedBefore..];
                if ((timed.ExitCode != 0 && !firstOnly) || !File.Exists(mark))
                {
                    Console.Error.WriteLine($"pr-overhead: the shimmed run of {dlls[d]} exited {timed.ExitCode}: {error}");
                    return 1;
                }

                var firstNs = long.Parse((await File.ReadAllTextAsync(mark)).Trim(), CultureInfo.InvariantCulture);
                if (round > 0)
                {
                    first[d].Add((firstNs - timed.StartedUnixNs) / 1e6);
                }

                lock (received)
                {
                    beforeFirst[d] = string.Join(", ", received.Where(r => r.UnixNs < firstNs).Select(r => $"{Number().Replace(r.Call.Split('?')[0].Replace("/repos/acme/infra/", "", StringComparison.Ordinal), "N")} {(r.UnixNs - timed.StartedUnixNs) / 1e6:0}"))
                        + $"; terraform {(firstNs - timed.StartedUnixNs) / 1e6:0}";
                }
            }

            loads.Add(ChildTimer.Load());
        }

        if (firstOnly)
        {
            for (var d = 0; d < dlls.Count; d++)
            {
                Console.WriteLine($"pr-overhead {dlls[d]}: first terraform starts {ChildTimer.Ms(ChildTimer.Median(first[d]))} ms after launch (min {ChildTimer.Ms(first[d].DefaultIfEmpty(double.NaN).Min())}, {rounds} rounds)  [target ≤ 80 ms]");
                Console.WriteLine($"pr-overhead {dlls[d]}: GitHub calls of the shimmed run (its terraform fails at once: the first level's 8 projects take their locks, the others are skipped): {CallSummary(callsToFirst[d])}");
                Console.WriteLine($"pr-overhead {dlls[d]}: GitHub calls before the first terraform in the last round, as received (ms after launch): {beforeFirst[d]}");
            }

            if (trace)
            {
                // one more shimmed run of each, traced (untimed): its phases beside the calls' and the first terraform's times
                foreach (var published in dlls)
                {
                    File.Delete(mark);
                    var environment = StartupBench.Actions(github, dir, scenario.Repo.Root, "pull_request", dir.Combine("event.json"), (++runs).ToString(CultureInfo.InvariantCulture));
                    environment["PLANBOT_TERRAFORM_BINARY"] = shim;
                    environment["PLANBOT_TRACE_STARTUP"] = "1";
                    var (cost, _, stderr) = await ChildTimer.RunAsync([.. wrap?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [], .. StartupBench.Launch(published), "run"], environment: environment);
                    var stamped = File.Exists(mark) ? (long.Parse((await File.ReadAllTextAsync(mark)).Trim(), CultureInfo.InvariantCulture) - cost.StartedUnixNs) / 1e6 : double.NaN;
                    Console.WriteLine($"--- traced shimmed run of {published}: first terraform {stamped:0.0} ms after launch (the trace's own clock starts at the process's start time, to ~10 ms)");
                    Console.WriteLine(string.Join('\n', stderr.Split('\n').Where(l => l.Contains(" trace ", StringComparison.Ordinal)).Take(40)));
                }
            }

            Console.WriteLine($"pr-overhead: done, loads after each round: {string.Join(" | ", loads)}");
            return 0;
        }

        var terraformCpu = ChildTimer.Median(byHand.Select(h => h.CpuMs));
        Console.WriteLine($"pr-overhead: 24 projects, 72 terraform calls, {rounds} paired rounds; by hand wall {ChildTimer.Ms(ChildTimer.Median(byHand.Select(c => c.WallMs)))} ms, cpu {ChildTimer.Ms(terraformCpu)} ms; loads after each round: {string.Join(" | ", loads)}");
        for (var d = 0; d < dlls.Count; d++)
        {
            var wallRatio = ChildTimer.Median(bot[d].Zip(byHand, (b, h) => b.WallMs / h.WallMs));
            var cpuRatio = ChildTimer.Median(bot[d].Zip(byHand, (b, h) => b.CpuMs / h.CpuMs));
            var difference = ChildTimer.Median(bot[d].Zip(byHand, (b, h) => b.CpuMs - h.CpuMs));
            // measured: the planbot process's own CPU against what its children (terraform, git) used in the same run, and against the script's terraform
            var own = ChildTimer.Median(bot[d].Select(b => b.SelfCpuMs));
            var ofChildren = ChildTimer.Median(bot[d].Select(b => b.SelfCpuMs / b.ChildrenCpuMs));
            var ofScript = ChildTimer.Median(bot[d].Zip(byHand, (b, h) => b.SelfCpuMs / h.CpuMs));
            Console.WriteLine($"pr-overhead {dlls[d]}: planbot run wall {ChildTimer.Ms(ChildTimer.Median(bot[d].Select(c => c.WallMs)))} ms, " +
                              $"cpu {ChildTimer.Ms(ChildTimer.Median(bot[d].Select(c => c.CpuMs)))} ms, RSS {ChildTimer.Median(bot[d].Select(c => c.RssMb)):0} MiB; " +
                              $"wall ×{wallRatio:0.000}, cpu ×{cpuRatio:0.000}; PlanBot's own process: {ChildTimer.Ms(own)} ms CPU = {ofChildren:P1} of its children's (terraform, git), " +
                              $"{ofScript:P1} of the script's terraform  [target ≤ 5 %] (difference of the totals, noisy: {ChildTimer.Ms(difference)} ms); " +
                              $"first terraform starts {ChildTimer.Ms(ChildTimer.Median(first[d]))} ms after launch (min {ChildTimer.Ms(first[d].DefaultIfEmpty(double.NaN).Min())})  [target ≤ 80 ms]");
            Console.WriteLine($"pr-overhead {dlls[d]}: GitHub calls per run: {CallSummary(calls[d])}");
        }

        Console.WriteLine($"pr-overhead: done, {ChildTimer.Load()}");
        if (trace)
        {
            foreach (var published in dlls)
            {
                var environment = StartupBench.Actions(github, dir, scenario.Repo.Root, "pull_request", dir.Combine("event.json"), (++runs).ToString(CultureInfo.InvariantCulture));
                environment["PLANBOT_TRACE_STARTUP"] = "1";
                var (cost, _, stderr) = await ChildTimer.RunAsync([.. wrap?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [], .. StartupBench.Launch(published), "run"], environment: environment);
                Console.WriteLine($"--- trace of {published}: exit {cost.ExitCode}, wall {ChildTimer.Ms(cost.WallMs)} ms, cpu {ChildTimer.Ms(cost.CpuMs)} ms (terraform included), {ChildTimer.Load()}");
                Console.WriteLine(stderr.Length > 40_000 ? stderr[^40_000..] : stderr);
            }
        }

        return 0;
    }

    /// <summary>The calls so far (read between runs: the child that made them has exited).</summary>
    private static string[] Calls(FakeGitHub github) => [.. github.Calls];

    /// <summary>"72: 24 POST check-runs, 22 GET issues/N/comments, …": the calls counted by route (numbers and SHAs as N, no query).</summary>
    private static string CallSummary(IReadOnlyList<string> calls) =>
        $"{calls.Count}: " + string.Join(", ", calls
            .Select(c => Number().Replace(c.Split('?')[0].Replace("/repos/acme/infra/", " ", StringComparison.Ordinal), "N"))
            .GroupBy(c => c, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Count()} {g.Key.Replace("  ", " ", StringComparison.Ordinal)}"));

    [System.Text.RegularExpressions.GeneratedRegex("(?<=/)([0-9]+|[0-9a-f]{40})(?=/|$)")]
    private static partial System.Text.RegularExpressions.Regex Number();

    /// <summary>24 projects l{0,1,2}/p{0..7}, each level reading the state of the one above; applied on main, all changed on the PR.</summary>
    private static async Task<Scenario> CreateAsync(FakeGitHub github, TempDir dir)
    {
        var files = new Dictionary<string, string> { ["planbot.yaml"] = "parallelism: 4\n" };
        foreach (var (path, content) in Projects("v1"))
        {
            files[path] = content;
        }

        var scenario = await Scenario.CreateAsync(files);
        for (var level = 0; level < 3; level++)
        {
            for (var p = 0; p < PerLevel; p++)
            {
                await scenario.ApplyAsync($"l{level}/p{p}"); // one at a time: the applies share one log file
            }
        }

        await scenario.Repo.GitAsync("checkout", "-q", "-B", "pr-24");
        var changed = Projects("v2").ToArray();
        foreach (var (path, content) in changed)
        {
            scenario.Repo.Write(path, content);
        }

        var head = await scenario.Repo.CommitAsync("change every project");
        await scenario.Repo.GitAsync("checkout", "-q", "--detach"); // as action/plan.yml's actions/checkout (ref: the PR head) leaves the workspace
        github.AddPull(24, head, (await scenario.Repo.GitAsync("rev-parse", "main")).Trim());
        github.PullFiles[24] = [.. changed.Select(c => c.Path)];
        await File.WriteAllTextAsync(dir.Combine("event.json"), new JsonObject
        {
            ["action"] = "synchronize",
            ["number"] = 24,
            ["pull_request"] = JsonNode.Parse(github.Pulls[24].ToJsonString()),
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" },
        }.ToJsonString());
        return scenario;
    }

    private static IEnumerable<(string Path, string Content)> Projects(string version)
    {
        for (var level = 0; level < 3; level++)
        {
            for (var p = 0; p < PerLevel; p++)
            {
                var upstream = level == 0 ? "" : ReadsStateOf($"../../l{level - 1}/p{p}");
                yield return ($"l{level}/p{p}/main.tf", LocalBackend + upstream +
                    Resource("app", $"{version}-{level}-{p}") + Resource("config", $"config-{p}") + Resource("pinned", version, triggersReplace: p % 4 == 0 ? version : "1") +
                    Output("id", "terraform_data.app.output"));
            }
        }
    }
}
