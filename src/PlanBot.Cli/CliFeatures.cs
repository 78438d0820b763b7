using System.Diagnostics.CodeAnalysis;

namespace PlanBot.Cli;

/// <summary>
/// Parts of the CLI a build can leave out. The Action's NativeAOT executable sets
/// <c>PlanBot.Cli.ServiceCommands</c> to false (PlanBot.Cli.csproj): the compiler then drops
/// <c>serve</c> and <c>queue</c> with ASP.NET Core and the SQLite delivery queue, which makes the
/// binary smaller and its start-up faster (issue 19; a NativeAOT binary's start-up grows with its size).
/// The service image runs the framework-dependent <c>planbot.dll</c>, which has every command.
/// </summary>
internal static class CliFeatures
{
    [FeatureSwitchDefinition("PlanBot.Cli.ServiceCommands")]
    internal static bool ServiceCommands => !AppContext.TryGetSwitch("PlanBot.Cli.ServiceCommands", out var on) || on;
}
