using System.Diagnostics;
using System.Globalization;
using PlanBot.Testing;

namespace PlanBot.Benchmarks;

/// <summary>
/// Issue 3's figures: whole-process `planbot render` wall time and peak RSS on generated 1,000 and
/// 10,000-resource plans, best of 5 runs, and the comment's characters per changed resource. The
/// executable is published as it ships (ReadyToRun, linux-x64) into a temporary folder first.
/// </summary>
public static class RenderBench
{
    public static async Task<int> RunAsync()
    {
        var planbot = await PublishAsync();
        var time = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;
        foreach (var resources in new[] { 1_000, 10_000 })
        {
            var path = Path.Combine(Path.GetTempPath(), $"planbot-bench-render-{resources}.json");
            await File.WriteAllTextAsync(path, PlanGenerator.Plan(resources));
            var size = new FileInfo(path).Length / 1048576.0;
            var summary = Path.Combine(Path.GetTempPath(), $"planbot-bench-render-{resources}.summary.md");
            double bestSeconds = double.MaxValue, bestMb = 0;
            var comment = "";
            for (var run = 0; run < 6; run++)
            {
                var (seconds, mb, output) = await RunOnce(time, planbot, path, null);
                if (run > 0 && seconds < bestSeconds)
                {
                    (bestSeconds, bestMb, comment) = (seconds, mb, output); // run 0 warms the disk cache
                }
            }

            var (summarySeconds, summaryMb, _) = await RunOnce(time, planbot, path, summary);
            var summaryChars = new FileInfo(summary).Length;
            Console.WriteLine($"render {resources:N0} resources ({size:N1} MB JSON): {bestSeconds * 1000:N0} ms, peak RSS {bestMb:N0} MB; " +
                              $"comment {comment.Length:N0} chars ({(double)comment.Length / resources:N1}/resource), with --summary-out {summarySeconds * 1000:N0} ms, {summaryMb:N0} MB, job summary {summaryChars:N0} bytes ({(double)summaryChars / resources:N1}/resource)" +
                              $"  [target {(resources == 1_000 ? "< 200 ms, < 80 MB" : "< 600 ms, < 150 MB")}]");
        }

        return 0;
    }

    /// <summary>Where <see cref="PublishAsync"/> puts the executable (reused by `startup --no-publish`).</summary>
    internal static string PublishedDll => Path.Combine(Path.GetTempPath(), "planbot-bench-publish", "planbot.dll");

    /// <summary>Publishes PlanBot.Cli with the Dockerfile's (and CI's) command.</summary>
    internal static async Task<string> PublishAsync()
    {
        var output = Path.GetDirectoryName(PublishedDll)!;
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

    private static async Task<(double Seconds, double Mb, string Output)> RunOnce(string? time, string planbot, string plan, string? summary)
    {
        var info = new ProcessStartInfo(time ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (time is not null)
        {
            info.ArgumentList.Add("-f");
            info.ArgumentList.Add("planbot-bench %e %M");
            info.ArgumentList.Add("dotnet");
        }

        foreach (var arg in summary is null ? [planbot, "render", "--plan-json", plan] : new[] { planbot, "render", "--plan-json", plan, "--summary-out", summary })
        {
            info.ArgumentList.Add(arg);
        }

        var watch = Stopwatch.StartNew();
        using var child = Process.Start(info)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();
        watch.Stop();
        var line = (await stderr).Split('\n').LastOrDefault(l => l.StartsWith("planbot-bench ", StringComparison.Ordinal));
        var mb = line is null ? 0 : double.Parse(line.Split(' ')[2], CultureInfo.InvariantCulture) / 1024;
        return (watch.Elapsed.TotalSeconds, mb, await stdout);
    }
}
