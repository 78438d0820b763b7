using System.Diagnostics;

namespace PlanBot.Cli.Tests;

/// <summary>
/// The built `planbot` as a separate OS process (`dotnet planbot.dll …`, copied beside the tests by
/// the project reference): what a runner or a replica runs. The test process's own PlanBot, GitHub and
/// cloud variables are not inherited (the in-process tests set them), so a child sees only what its
/// caller gives it, as a fresh job or container would.
/// </summary>
internal static class CliProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "planbot.dll");

    private static readonly string[] NotInherited = ["PLANBOT_", "GITHUB_", "AWS_", "AZURE_", "INPUT_", "RUNNER_"];

    /// <summary>The start info of `dotnet planbot.dll <paramref name="args"/>` with stdout and stderr redirected and <paramref name="environment"/> set.</summary>
    /// <param name="executable">A published executable to run instead (the NativeAOT `planbot`: PlanBot.Published.Tests).</param>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? executable = null)
    {
        var info = new ProcessStartInfo(executable ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (executable is null)
        {
            info.ArgumentList.Add(Dll);
        }

        foreach (var argument in args)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.Where(k => NotInherited.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToArray())
        {
            info.Environment.Remove(key);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>Runs one command to its end: exit code, stdout, stderr and wall time. Past <paramref name="timeout"/> the process tree is killed and the test fails naming it.</summary>
    public static async Task<(int Code, string Out, string Err, TimeSpan Wall)> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, string? executable = null)
    {
        var info = StartInfo(args, environment, executable);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start `{info.FileName}`");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"`planbot {string.Join(' ', info.ArgumentList.Skip(executable is null ? 1 : 0))}` did not end within {timeout}; killed. stderr:\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }
}
