using System.Diagnostics;
using PlanBot.Benchmarks;

// `dotnet run -c Release --project tests/PlanBot.Benchmarks` prints the figures issues 2, 3, 4, 5 and 16 ask for;
// `-- startup` is issue 19's whole-process start-up, render and PR-overhead figures (not in the default set: it takes minutes).
// Each measurement runs in its own child process so its peak memory is its own.
if (args.Length == 0)
{
    foreach (var mode in new[] { "discovery", "plan", "scheduler", "render", "locks", "intake", "fingerprint", "apply" })
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(Bench).Assembly.Location);
        }

        info.ArgumentList.Add(mode);
        using var child = Process.Start(info)!;
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
        {
            return child.ExitCode;
        }
    }

    return 0;
}

return args[0] switch
{
    "discovery" => Bench.Discovery(),
    "plan" => await Bench.PlanAsync(),
    "scheduler" => await Bench.SchedulerAsync(),
    "render" => await RenderBench.RunAsync(),
    "locks" => await LockBench.RunAsync(),
    "intake" => await IntakeBench.RunAsync(),
    "intake-flood" => await IntakeBench.FloodAsync(),
    "replicas" => await ReplicaBench.RunAsync(args), // issue 18: `replicas [azure|sqs]`; needs azurite or local-aws-sqs, and dynalite (started by TestServers), not in the default list
    "fanout" => await FanOutBench.RunAsync(args), // issue 18: one job vs four matrix jobs, 40 projects; needs s3rver (started by TestServers), not in the default list // issue 18; needs azurite and dynalite (started by TestServers), not in the default list
    "fingerprint" => await FingerprintBench.RunAsync(),
    "startup" => await StartupBench.RunAsync(args),
    "apply" => await ApplyBench.RunAsync(),
    _ => 2,
};
