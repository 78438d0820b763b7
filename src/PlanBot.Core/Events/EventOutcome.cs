using PlanBot.Core.Runs;
using PlanBot.Core.Config;
using PlanBot.Core.Workflows;

namespace PlanBot.Core.Events;

/// <summary>How the host runs an event: its run id (locks and plan files carry it) and where its report is read.</summary>
/// <param name="RunUrl">The Actions run page, linked from the comment.</param>
/// <param name="FullReportLocation">Where the comment says the full report is, when not the default.</param>
public sealed record EventRun(string RunId, string? RunUrl = null, string? FullReportLocation = null)
{
    /// <summary>This run's part of a fanned-out pull request plan (`planbot run --phase`); null: a single job.</summary>
    public FanOutRun? FanOut { get; init; }
}

/// <summary>What an event did, for the host to turn into outputs and an exit code.</summary>
public sealed record EventOutcome
{
    public static readonly EventOutcome Nothing = new();

    /// <summary>The configuration the event ran with (null when it needed none).</summary>
    public RunConfig? Config { get; init; }

    /// <summary>A pull request was planned (a PR event or a command that plans).</summary>
    public PullRequestOutcome? PullRequest { get; init; }

    /// <summary>A merge was applied (null: nothing to apply).</summary>
    public IReadOnlyList<ApplyResult>? Applied { get; init; }

    public DriftReport? Drift { get; init; }

    /// <summary>The default-branch checkout a drift check ran in.</summary>
    public string? CheckoutDir { get; init; }

    /// <summary>Why nothing was done: the server policy's allowed_repositories does not list the event's repository (null: it was acted on).</summary>
    public string? Refused { get; init; }
}
