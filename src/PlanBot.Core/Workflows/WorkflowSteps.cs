using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>Runs one workflow <c>run</c> step for a project, with the variables a step can read (as Atlantis names them).</summary>
public static class WorkflowSteps
{
    /// <summary>
    /// The step runs in the project's dir with its own log (the output shown in the comment), and
    /// WORKSPACE, PROJECT_NAME, DIR (absolute), REPO_REL_DIR, PLANFILE and SHOWFILE set; the step's own env wins.
    /// </summary>
    public static async Task<(TerraformResult Result, StepReport Report)> RunAsync(ITerraform terraform, Project project, TerraformContext context, RunStep step, int index, string planFile, string? showFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terraform);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(step);
        step = ForProject(step, project);
        var log = Path.Combine(Path.GetDirectoryName(context.LogFile) ?? ".", $"{Path.GetFileNameWithoutExtension(context.LogFile)}-step{index}.log");
        if (File.Exists(log))
        {
            File.Delete(log); // a re-run's output, not the previous run's too
        }

        var root = context.WorkingDir;
        TerraformEnv[] variables =
        [
            new("WORKSPACE", context.Workspace, false),
            new("DIR", root, false),
            new("PLANFILE", planFile, false),
            .. showFile is null ? Array.Empty<TerraformEnv>() : [new TerraformEnv("SHOWFILE", showFile, false)],
        ];
        var result = await terraform.RunStepAsync(context with { LogFile = log }, step with { Env = [.. variables, .. step.Env] }, cancellationToken).ConfigureAwait(false);
        return (result, new StepReport($"run {step.Name}", result.Outcome, result.ExitCode, result.Output ?? "", result.Duration));
    }

    /// <summary>A project's own variables for its steps: its name and its dir relative to the repository.</summary>
    private static RunStep ForProject(RunStep step, Project project)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(project);
        return step with { Env = [new("PROJECT_NAME", project.Name, false), new("REPO_REL_DIR", project.Dir == RepoPath.Root ? "." : project.Dir, false), .. step.Env] };
    }

    /// <summary>The project's one-line error: the workflow, the step, and what happened.</summary>
    public static string Failed(Project project, WorkflowStep step, TerraformResult result)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(result);
        return $"workflow '{project.Workflow?.Name ?? WorkflowDefinition.DefaultName}' step {step.Title} (planbot.yaml line {step.Line}) failed: {result.Error ?? result.Outcome.ToString()}";
    }
}
