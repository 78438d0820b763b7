using PlanBot.Testing;

namespace PlanBot.Cli.Tests;

/// <summary>
/// The Action's `planbot` as .ci/run publishes it: a NativeAOT executable in artifacts/planbot-aot
/// (`dotnet publish src/PlanBot.Cli -c Release -r linux-x64 -p:PublishAot=true -o artifacts/planbot-aot`).
/// Where it has not been published (a developer's `dotnet test`), the classes that run on it run the
/// built planbot.dll as a process instead and say so in their output: still the whole process, not the
/// NativeAOT code generation.
/// </summary>
public static class PublishedBinary
{
    /// <summary>The NativeAOT executable; null when it has not been published.</summary>
    public static string? Aot { get; } = Path.Combine(Fixtures.RepoRoot, "artifacts", "planbot-aot", "planbot") is var path && File.Exists(path) ? path : null;

    /// <summary>What the tests run, for their output.</summary>
    public static string Describe => Aot is { } aot ? $"the NativeAOT executable {aot}" : $"`dotnet {CliProcess.Dll}` (artifacts/planbot-aot is not published)";
}
