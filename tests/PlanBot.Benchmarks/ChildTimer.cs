using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace PlanBot.Benchmarks;

/// <summary>One child process's cost: wall time, CPU (its own plus every descendant it waited for) and peak RSS.</summary>
/// <param name="SelfCpuMs">The CPU of the process alone, its descendants left out (the kernel's per-process account, 10 ms ticks).</param>
public sealed record Cost(double WallMs, double UserMs, double SysMs, double RssMb, long StartedUnixNs, int ExitCode, double SelfCpuMs)
{
    public double CpuMs => UserMs + SysMs;

    /// <summary>What its descendants (terraform, git under `planbot run`) used.</summary>
    public double ChildrenCpuMs => CpuMs - SelfCpuMs;
}

/// <summary>
/// Runs a command under a tiny python wrapper that forks, execs and reaps it with wait4: the kernel's
/// rusage is exact to the microsecond (GNU time prints hundredths) and counts the descendants the
/// child reaped (terraform under `planbot run`), and the wrapper's own start-up is outside the figure.
/// Before reaping, the exited child is read as a zombie (waitid with WNOWAIT, then /proc/PID/stat):
/// the kernel still holds its own CPU apart from what its reaped descendants used, so PlanBot's own
/// share of a run is measured, not estimated as the difference of two noisy runs (issue 19).
/// </summary>
public static class ChildTimer
{
    private const string Wrapper = """
        import json, os, sys, time
        out, cmd = sys.argv[1], sys.argv[2:]
        started_ns = time.time_ns()
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                os.execvp(cmd[0], cmd)
            finally:
                os._exit(127)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        wall = time.perf_counter() - t0
        # the zombie's own utime and stime (fields 14 and 15), in clock ticks; cutime/cstime are its descendants'
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        self_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        _, status, ru = os.wait4(pid, 0)
        with open(out, "w") as f:
            json.dump({"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "rss_kb": ru.ru_maxrss, "started_ns": started_ns, "self_cpu": self_cpu, "code": os.waitstatus_to_exitcode(status)}, f)
        """;

    private static readonly Lazy<string> Script = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), "planbot-bench-wait4.py");
        File.WriteAllText(path, Wrapper);
        return path;
    });

    /// <summary>Runs <paramref name="command"/> (argv) in <paramref name="workingDir"/>; stdout is returned, stderr kept for errors.</summary>
    public static async Task<(Cost Cost, string Stdout, string Stderr)> RunAsync(IReadOnlyList<string> command, string? workingDir = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var result = Path.Combine(Path.GetTempPath(), $"planbot-bench-{Guid.NewGuid():N}.json");
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDir ?? Environment.CurrentDirectory };
        info.ArgumentList.Add(Script.Value);
        info.ArgumentList.Add(result);
        foreach (var argument in command)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        using var child = Process.Start(info)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();
        if (!File.Exists(result))
        {
            throw new InvalidOperationException($"the wait4 wrapper exited {child.ExitCode} without a result for `{string.Join(' ', command)}`: {await stderr}");
        }

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(result));
        File.Delete(result);
        var r = json.RootElement;
        var cost = new Cost(
            r.GetProperty("wall").GetDouble() * 1000,
            r.GetProperty("user").GetDouble() * 1000,
            r.GetProperty("sys").GetDouble() * 1000,
            r.GetProperty("rss_kb").GetDouble() / 1024,
            r.GetProperty("started_ns").GetInt64(),
            r.GetProperty("code").GetInt32(),
            r.GetProperty("self_cpu").GetDouble() * 1000);
        return (cost, await stdout, await stderr);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Ms(double ms) => ms.ToString(ms < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);

    /// <summary>`uptime`'s load averages: the machine is shared, so every figure says how busy it was.</summary>
    public static string Load() =>
        File.Exists("/proc/loadavg") ? "load " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) + $" on {Environment.ProcessorCount} cores" : "load unknown";
}
