using PlanBot.Core.Runs;
using System.Diagnostics;
using System.Text;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Files;

namespace PlanBot.Benchmarks;

/// <summary>The figures of issue 2, measured on generated inputs.</summary>
public static class Bench
{
    private static double PeakMb => Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;

    /// <summary>5,000 projects / 50,000 files on disk: discovery + change detection, best of 3 after a warm-up.</summary>
    public static int Discovery()
    {
        var root = Path.Combine(Path.GetTempPath(), "planbot-bench-monorepo-50k");
        Generate(root, projects: 5_000, filesPerProject: 10, modules: 100);
        var tree = new DiskFileTree(root);
        var baseline = PeakMb;
        var changes = Enumerable.Range(0, 200).Select(i => new ChangedFile($"modules/m{i % 100}/main.tf", FileChangeKind.Modified))
            .Concat(Enumerable.Range(0, 300).Select(i => new ChangedFile($"envs/e{i % 50}/p{i}/main.tf", FileChangeKind.Modified)))
            .ToArray();
        var best = TimeSpan.MaxValue;
        var affected = 0;
        var files = 0;
        var phases = "";
        for (var run = 0; run < 4; run++)
        {
            var watch = Stopwatch.StartNew();
            files = tree.ListFiles().Count;
            var listed = watch.Elapsed;
            var discovery = ProjectDiscovery.Discover(tree, PlanBotConfig.Default);
            var discovered = watch.Elapsed;
            affected = ChangeDetector.Detect(discovery, changes).Affected.Count;
            watch.Stop();
            if (run > 0 && watch.Elapsed - listed < best)
            {
                best = watch.Elapsed - listed; // the walk is counted once, inside Discover
                phases = $"walk {listed.TotalMilliseconds:N0} ms, discover {(discovered - listed).TotalMilliseconds:N0} ms, detect {(watch.Elapsed - discovered).TotalMilliseconds:N0} ms";
            }
        }

        Console.WriteLine($"discovery+changes: {files:N0} files, 5,000 projects, {affected:N0} affected: best {best.TotalMilliseconds:N0} ms ({phases}), peak working set {PeakMb:N0} MB (process baseline {baseline:N0} MB)  [target < 1,000 ms, < 300 MB]");
        return 0;
    }

    private static void Generate(string root, int projects, int filesPerProject, int modules)
    {
        var marker = Path.Combine(root, ".generated");
        if (File.Exists(marker))
        {
            return;
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, true);
        }

        for (var m = 0; m < modules; m++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, "modules", $"m{m}")).FullName;
            File.WriteAllText(Path.Combine(dir, "main.tf"), $"variable \"name\" {{}}\nresource \"terraform_data\" \"r\" {{\n  input = var.name\n}}\n" +
                (m > 0 ? $"module \"inner\" {{\n  source = \"../m{m - 1}\"\n  name = var.name\n}}\n" : ""));
        }

        for (var p = 0; p < projects; p++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, "envs", $"e{p % 50}", $"p{p}")).FullName;
            File.WriteAllText(Path.Combine(dir, "main.tf"),
                $"terraform {{\n  backend \"s3\" {{\n    bucket = \"state\"\n    key    = \"p{p}.tfstate\"\n  }}\n}}\n" +
                $"module \"svc\" {{\n  source = \"../../../modules/m{p % modules}\"\n  name   = \"p{p}\"\n}}\n" +
                (p > 0 ? $"data \"terraform_remote_state\" \"up\" {{\n  backend = \"s3\"\n  config = {{\n    bucket = \"state\"\n    key    = \"p{p - 1}.tfstate\"\n  }}\n}}\n" : ""));
            File.WriteAllText(Path.Combine(dir, "variables.tf"), "variable \"region\" {\n  type    = string\n  default = \"eu-west-1\"\n}\n");
            for (var f = 2; f < filesPerProject; f++)
            {
                File.WriteAllText(Path.Combine(dir, $"file{f}.json"), "{}");
            }
        }

        File.WriteAllText(marker, "");
    }

    /// <summary>A 10,000-resource plan JSON: parse + summarize, best of 5, and memory against the file size.</summary>
    public static async Task<int> PlanAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), "planbot-bench-plan-10000.json");
        if (!File.Exists(path))
        {
            await File.WriteAllTextAsync(path, GeneratePlan(10_000));
        }

        var size = new FileInfo(path).Length / 1048576.0;
        var small = Path.Combine(Path.GetTempPath(), "planbot-bench-plan-10.json");
        await File.WriteAllTextAsync(small, GeneratePlan(10));
        await PlanReader.ReadFileAsync(small); // JIT and JSON metadata warm-up, outside the measurement
        GC.Collect();
        var baseline = Process.GetCurrentProcess().WorkingSet64 / 1048576.0;
        var heapBefore = GC.GetTotalMemory(true);
        var first = Stopwatch.StartNew();
        var plan = await PlanReader.ReadFileAsync(path);
        first.Stop();
        var peakAbove = PeakMb - baseline;
        var retained = (GC.GetTotalMemory(true) - heapBefore) / 1048576.0;
        GC.KeepAlive(plan);

        var best = first.Elapsed;
        long allocated = 0;
        for (var run = 0; run < 5; run++)
        {
            var before = GC.GetTotalAllocatedBytes(true);
            var watch = Stopwatch.StartNew();
            plan = await PlanReader.ReadFileAsync(path);
            watch.Stop();
            allocated = GC.GetTotalAllocatedBytes(true) - before;
            best = watch.Elapsed < best ? watch.Elapsed : best;
        }

        Console.WriteLine($"plan parse+summary: {plan.Changes.Count:N0} changes from {size:N1} MB JSON: first {first.Elapsed.TotalMilliseconds:N0} ms, best {best.TotalMilliseconds:N0} ms; " +
                          $"one parse raises the peak working set {peakAbove:N0} MB ({peakAbove / size:N1}× file size), allocates {allocated / 1048576.0:N0} MB ({allocated / 1048576.0 / size:N1}×), retains {retained:N1} MB  [target < 500 ms, < 3× file size]");
        return 0;
    }

    private static string GeneratePlan(int resources)
    {
        var sb = new StringBuilder("{\"format_version\":\"1.2\",\"terraform_version\":\"1.11.4\",\"resource_changes\":[");
        string[] actions = ["\"create\"", "\"update\"", "\"delete\"", "\"delete\",\"create\""];
        for (var i = 0; i < resources; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append($$"""
                {"address":"module.m{{i % 40}}.aws_instance.web[{{i}}]","module_address":"module.m{{i % 40}}","mode":"managed","type":"aws_instance","name":"web","index":{{i}},"provider_name":"registry.terraform.io/hashicorp/aws",
                 "change":{"actions":[{{actions[i % 4]}}],"before":{"ami":"ami-{{i:x8}}","instance_type":"t3.micro","tags":{"Name":"web-{{i}}","Team":"platform"},"user_data":"#!/bin/bash\necho hello {{i}}\n","password":"s3cret-{{i}}"},
                 "after":{"ami":"ami-{{i + 1:x8}}","instance_type":"t3.small","tags":{"Name":"web-{{i}}","Team":"platform","Env":"prod"},"user_data":"#!/bin/bash\necho hello {{i}}\n","password":"s3cret-{{i}}"},
                 "after_unknown":{"id":true,"arn":true},"before_sensitive":{"password":true},"after_sensitive":{"password":true},"replace_paths":[["ami"]]} }
                """);
        }

        return sb.Append("]}").ToString();
    }

    /// <summary>A fake terraform that sleeps: wall time of the scheduler against the DAG's critical path.</summary>
    public static async Task<int> SchedulerAsync()
    {
        // 60 projects: 6 chains of 5 with mixed durations plus 30 independent ones; parallelism 64.
        var durations = new Dictionary<string, int>();
        var deps = new Dictionary<string, string[]>();
        var random = new Random(7);
        for (var c = 0; c < 6; c++)
        {
            for (var i = 0; i < 5; i++)
            {
                var name = $"c{c}-{i}";
                durations[name] = random.Next(50, 250);
                deps[name] = i == 0 ? [] : [$"c{c}-{i - 1}"];
            }
        }

        for (var i = 0; i < 30; i++)
        {
            durations[$"solo{i}"] = random.Next(50, 400);
            deps[$"solo{i}"] = [];
        }

        var order = deps.Keys.OrderBy(k => k.Contains('-') ? int.Parse(k[(k.IndexOf('-') + 1)..]) : 0).ToArray();
        var finish = new Dictionary<string, int>();
        foreach (var name in order)
        {
            finish[name] = durations[name] + deps[name].Select(d => finish[d]).DefaultIfEmpty(0).Max();
        }

        var critical = finish.Values.Max();
        var watch = Stopwatch.StartNew();
        await DagScheduler.RunAsync(order, n => deps[n], 64, async (n, ct) =>
        {
            await Task.Delay(durations[n], ct);
            return new Done(true);
        }, (_, _) => new Done(false), CancellationToken.None);
        var wall = watch.Elapsed.TotalMilliseconds;
        Console.WriteLine($"scheduler: {order.Length} projects, critical path {critical} ms, wall {wall:N0} ms, overhead {(wall - critical) / critical:P1}  [target within 10 %]");
        return 0;
    }

    private sealed record Done(bool Succeeded) : IScheduledResult;
}
