using PlanBot.Cli.Tests;
using PlanBot.Cli.Tests.Harness;

namespace PlanBot.Published.Tests;

// The Action's NativeAOT executable proven with the existing tests (issue 19): every test of these
// classes runs again with each `planbot run` a process of the published binary (PublishedBinary).
// Chosen for what NativeAOT could break: the PR run's GitHub calls and their count (ActionModeTests),
// and the trust boundary's config loading, YAML and refusals (TrustBoundaryTests).

/// <summary><see cref="ActionModeTests"/> on the published executable.</summary>
public sealed class ActionModeOnPublishedBinaryTests : ActionModeTests
{
    protected override Task<(int Code, string Err)> InvokeAsync(string[] args) => PublishedBinaryRun.InvokeAsync(_environment, args);
}

/// <summary><see cref="TrustBoundaryTests"/> on the published executable.</summary>
public sealed class TrustBoundaryOnPublishedBinaryTests : TrustBoundaryTests
{
    protected override Task<(int Code, string Err)> InvokeAsync(string[] args) => PublishedBinaryRun.InvokeAsync(_environment, args);
}
