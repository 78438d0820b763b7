using PlanBot.Core.Config;

namespace PlanBot.Core.Ports;

public enum TerraformOutcome
{
    /// <summary>Exit 0 (for plan: no changes).</summary>
    Succeeded,
    /// <summary>plan -detailed-exitcode returned 2: the plan has changes.</summary>
    Changes,
    Failed,
    /// <summary>Terraform could not take its own state lock.</summary>
    StateLocked,
    TimedOut,
    Cancelled,
    /// <summary>The terraform/tofu binary could not be started.</summary>
    NotFound,
}

/// <summary>Terraform's own state lock, as its "Error acquiring the state lock" diagnostic describes it.</summary>
public sealed record StateLockInfo(string? Id, string? Path, string? Operation, string? Who, string? Created);

public sealed record TerraformResult
{
    public required TerraformOutcome Outcome { get; init; }
    public int ExitCode { get; init; }
    /// <summary>The first error line terraform printed, for tables and one-line reports.</summary>
    public string? Error { get; init; }
    /// <summary>Terraform's full diagnostics (bounded), for the project's details.</summary>
    public string? Diagnostics { get; init; }
    public StateLockInfo? StateLock { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>A workflow run step's output (stdout and stderr as they came, the last 64 KiB), for the comment.</summary>
    public string? Output { get; init; }

    public bool Ok => Outcome is TerraformOutcome.Succeeded or TerraformOutcome.Changes;
}

/// <summary>Where and how to run terraform for one project.</summary>
public sealed record TerraformContext
{
    public required string WorkingDir { get; init; }
    public string Workspace { get; init; } = "default";
    /// <summary>Everything terraform prints is appended here, never held in memory.</summary>
    public required string LogFile { get; init; }
    /// <summary>The project's own arguments, environment and tool (planbot.yaml terraform settings, Terragrunt).</summary>
    public TerraformRun Run { get; init; } = TerraformRun.Default;
}

/// <summary>
/// How terraform runs for one project, ready for argv: paths are relative to the working dir, backend
/// config entries are what follows -backend-config=.
/// </summary>
public sealed record TerraformRun
{
    public static readonly TerraformRun Default = new();

    /// <summary>Run through terragrunt (the dir is a Terragrunt unit) instead of terraform directly.</summary>
    public bool Terragrunt { get; init; }
    public IReadOnlyList<string> VarFiles { get; init; } = [];
    public IReadOnlyList<string> BackendConfig { get; init; } = [];
    public IReadOnlyList<TerraformEnv> Env { get; init; } = [];
    /// <summary>init, plan, apply → extra arguments.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ExtraArgs { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    /// <summary>The terraform (or tofu) version to run, installed from the mirror; null: the binary on PATH (or terraform.binary).</summary>
    public string? Version { get; init; }
    /// <summary>Where <see cref="Version"/> was chosen (planbot.yaml, .terraform-version, required_version), for the comment.</summary>
    public string? VersionSource { get; init; }

    public IReadOnlyList<string> ExtraFor(string step) => ExtraArgs.GetValueOrDefault(step) ?? [];

    public bool IsDefault => !Terragrunt && VarFiles.Count == 0 && BackendConfig.Count == 0 && Env.Count == 0 && ExtraArgs.Values.All(a => a.Count == 0) && Version is null;
}


/// <summary>The terraform (or tofu) steps the workflows run.</summary>
public interface ITerraform
{
    Task<TerraformResult> InitAsync(TerraformContext context, CancellationToken cancellationToken);

    Task<TerraformResult> SelectWorkspaceAsync(TerraformContext context, CancellationToken cancellationToken);

    /// <summary>terraform plan -out; <see cref="TerraformOutcome.Changes"/> when the plan is not empty.</summary>
    Task<TerraformResult> PlanAsync(TerraformContext context, string planFile, CancellationToken cancellationToken);

    /// <summary>terraform show -json of a plan file, written to <paramref name="jsonFile"/>.</summary>
    Task<TerraformResult> ShowJsonAsync(TerraformContext context, string planFile, string jsonFile, CancellationToken cancellationToken);

    Task<TerraformResult> ApplyAsync(TerraformContext context, string planFile, CancellationToken cancellationToken);

    /// <summary>
    /// A workflow's run step, in the project's dir with the project's environment (PlanBot's credentials
    /// withheld) plus the step's own; its output is in <see cref="TerraformResult.Output"/>.
    /// </summary>
    Task<TerraformResult> RunStepAsync(TerraformContext context, RunStep step, CancellationToken cancellationToken) =>
        Task.FromResult(new TerraformResult { Outcome = TerraformOutcome.NotFound, ExitCode = -1, Error = $"run {step.Name}: this terraform runner cannot run workflow steps" });
}
