namespace PlanBot.Core.Rendering;

/// <summary>How a report is rendered: as PR comment parts, or as one job summary.</summary>
public sealed record CommentOptions
{
    /// <summary>GitHub refuses step summaries over 1 MiB; this leaves room for multi-byte characters.</summary>
    public const int JobSummaryMaxChars = 1_000_000;

    public int MaxChars { get; init; } = 65_000;
    public int MaxParts { get; init; } = 5;
    /// <summary>Start every part with its hidden marker line (PR comments); job summaries have none.</summary>
    public bool Markers { get; init; } = true;
    /// <summary>The run's web page (Actions run), linked in the header when known.</summary>
    public string? RunUrl { get; init; }
    /// <summary>Where a reader finds what the comment had to leave out.</summary>
    public string FullReportLocation { get; init; } = "the job summary of this run and the plan JSON artifacts (`--summary-out`, `PLANBOT_DATA_DIR/runs`)";
    /// <summary>Lines longer than this are cut inside diff blocks (a one-line 1 MB blob would swallow a part).</summary>
    public int MaxLineChars { get; init; } = 1_000;
    /// <summary>The <c>comments.mask</c> regexes, applied to terraform's diagnostics as well as to plan values.</summary>
    public IReadOnlyList<System.Text.RegularExpressions.Regex> Masks { get; init; } = [];
    /// <summary>Leave out the header, the table and the next commands (the drift report has its own).</summary>
    public bool Headless { get; init; }
    /// <summary>A line for the footer, e.g. that the github lock backend is best-effort.</summary>
    public string? FooterNote { get; init; }

    public const string GitHubLocksNote = "Project locks are kept in PlanBot's PR comments (`locks.backend: github`): best-effort when two runs race; `dynamodb` or `azure` give strict locks.";

    public static CommentOptions ForComment(Config.CommentSettings settings, string? runUrl = null) =>
        new() { MaxChars = settings.MaxChars, MaxParts = settings.MaxParts, RunUrl = runUrl, Masks = Plans.PlanDetails.CompileMasks(settings.Mask) };

    public static CommentOptions ForJobSummary(Config.CommentSettings settings, string? runUrl = null) =>
        ForComment(settings, runUrl) with { MaxChars = JobSummaryMaxChars, MaxParts = 1, Markers = false, FullReportLocation = "the plan JSON artifacts of this run (`PLANBOT_DATA_DIR/runs`)" };
}
