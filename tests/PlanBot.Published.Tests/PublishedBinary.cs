using System.Diagnostics;
using PlanBot.Cli.Tests;
using PlanBot.Testing;

namespace PlanBot.Published.Tests;

/// <summary>
/// The Action's `planbot` as .ci/run publishes it: a NativeAOT executable in artifacts/planbot-aot
/// (`dotnet publish src/PlanBot.Cli -c Release -r linux-x64 -p:PublishAot=true -o artifacts/planbot-aot`).
/// .ci/run publishes it while the tests run and says how far it is in artifacts/planbot-aot.status
/// ("publishing", then "done" or "failed: …"): this waits for it, and a failed publish fails the tests.
/// Where it was never published (a developer's `dotnet test`), the tests run the built planbot.dll as a
/// process instead and say so in their output: still the whole process, not the NativeAOT code.
/// </summary>
public static class PublishedBinary
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(45);
    private static readonly Lazy<string?> Resolved = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    private static string Artifacts => Path.Combine(Fixtures.RepoRoot, "artifacts");

    /// <summary>The NativeAOT executable; null when it has not been published. Throws when .ci/run's publish failed.</summary>
    public static string? Aot => Resolved.Value;

    /// <summary>Whether there is (or will be, once .ci/run's publish ends) a NativeAOT executable to test.</summary>
    public static bool Expected =>
        (File.Exists(StatusFile) && File.ReadAllText(StatusFile).Trim() != "done") // being published, or failed (then the tests say so)
        || Fresh(BinaryFile);

    private static string StatusFile => Path.Combine(Artifacts, "planbot-aot.status");

    private static string BinaryFile => Path.Combine(Artifacts, "planbot-aot", "planbot");

    /// <summary>Published, and not before the code was last built (else it is not this code's: the built planbot.dll is tested instead).</summary>
    private static bool Fresh(string binary) => File.Exists(binary) && File.GetLastWriteTimeUtc(binary) >= File.GetLastWriteTimeUtc(CliProcess.Dll);

    /// <summary>What the tests run, for their output.</summary>
    public static string Describe => Aot is { } aot ? $"the NativeAOT executable {aot}" : $"`dotnet {CliProcess.Dll}` (artifacts/planbot-aot is not published, or older than this build)";

    private static string? Resolve()
    {
        var status = StatusFile;
        var clock = Stopwatch.StartNew();
        // .ci/run writes the status file ("publishing PID"); polling it is the only way a test process learns that another process finished
        while (File.Exists(status) && File.ReadAllText(status).Trim() is var publishing && publishing.StartsWith("publishing", StringComparison.Ordinal))
        {
            if (publishing.Split(' ') is [_, var pid] && !Directory.Exists($"/proc/{pid}"))
            {
                throw new InvalidOperationException($"the .ci/run that was publishing the NativeAOT planbot (process {pid}) is gone; run .ci/run again, or delete {status}");
            }

            if (clock.Elapsed > PublishTimeout)
            {
                throw new TimeoutException($"the NativeAOT publish of .ci/run has not ended after {PublishTimeout.TotalMinutes:0} minutes ({status})");
            }

            Thread.Sleep(TimeSpan.FromSeconds(1));
        }

        if (File.Exists(status) && File.ReadAllText(status).Trim() is var said && said != "done")
        {
            throw new InvalidOperationException($".ci/run's NativeAOT publish did not succeed ({status}: {said})");
        }

        return Fresh(BinaryFile) ? BinaryFile : null;
    }
}
