using PlanBot.Core.Ports;

namespace PlanBot.Core.Runs;

/// <summary>One workflow run step of a project: how it ended and the end of its output (shown collapsed, masked, in the comment).</summary>
public sealed record StepReport(string Title, TerraformOutcome Outcome, int ExitCode, string Output, TimeSpan Duration)
{
    public bool Ok => Outcome is TerraformOutcome.Succeeded;
}
