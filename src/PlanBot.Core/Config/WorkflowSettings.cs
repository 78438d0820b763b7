
namespace PlanBot.Core.Config;

/// <summary>What a workflow step does: one of PlanBot's terraform steps, or a command (argv) of the repository's own.</summary>
public enum StepKind
{
    /// <summary>terraform init (and the workspace select that follows it).</summary>
    Init,
    /// <summary>terraform plan -out, then show -json (so a later step can read SHOWFILE).</summary>
    Plan,
    /// <summary>terraform apply of the approved plan file.</summary>
    Apply,
    /// <summary>A command run as argv, never through a shell.</summary>
    Run,
}

/// <summary>One step of a workflow; <see cref="Command"/> is set for <see cref="StepKind.Run"/>.</summary>
public sealed record WorkflowStep(StepKind Kind, RunStep? Command = null, int Line = 0)
{
    /// <summary>How the step is named in the comment and in errors: <c>init</c>, <c>plan</c>, <c>apply</c>, or <c>run &lt;name&gt;</c>.</summary>
    public string Title => Command is { } run ? $"run {run.Name}" : Kind.ToString().ToLowerInvariant();
}

/// <summary>
/// A named workflow (<c>workflows.&lt;name&gt;</c> in planbot.yaml): the steps of a project's plan and
/// of its apply. Policy: it comes from the trusted side (see <see cref="TrustedPolicy"/>).
/// </summary>
public sealed record WorkflowDefinition
{
    public static readonly IReadOnlyList<WorkflowStep> DefaultPlan = [new(StepKind.Init), new(StepKind.Plan)];
    public static readonly IReadOnlyList<WorkflowStep> DefaultApply = [new(StepKind.Apply)];

    /// <summary>The workflow used by projects that name none, when planbot.yaml defines it.</summary>
    public const string DefaultName = "default";

    public required string Name { get; init; }
    public IReadOnlyList<WorkflowStep> Plan { get; init; } = DefaultPlan;
    public IReadOnlyList<WorkflowStep> Apply { get; init; } = DefaultApply;
    public int Line { get; init; }
}
