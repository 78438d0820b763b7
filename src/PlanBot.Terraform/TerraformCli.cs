using PlanBot.Core.Ports;
using PlanBot.Terraform.Processes;

namespace PlanBot.Terraform;

/// <summary>
/// Runs terraform (or tofu, or terragrunt for a Terragrunt unit) as a child process, non-interactively,
/// one step at a time. A project's var files, backend config and extra args are appended as argv
/// (never through a shell); its env is layered on the runner's in <see cref="Environment"/>.
/// </summary>
public sealed class TerraformCli(TerraformOptions options) : ITerraform
{
    public Task<TerraformResult> InitAsync(TerraformContext context, CancellationToken cancellationToken) =>
        RunAsync(context, ["init", "-input=false", "-no-color", LockTimeout, .. context.Run.BackendConfig.Select(b => "-backend-config=" + b), .. context.Run.ExtraFor("init")], null, cancellationToken);

    public Task<TerraformResult> SelectWorkspaceAsync(TerraformContext context, CancellationToken cancellationToken) =>
        RunAsync(context, ["workspace", "select", "-or-create=true", "-no-color", context.Workspace], null, cancellationToken);

    public async Task<TerraformResult> PlanAsync(TerraformContext context, string planFile, CancellationToken cancellationToken)
    {
        var result = await RunAsync(context, ["plan", "-input=false", "-no-color", LockTimeout, "-detailed-exitcode", "-out=" + planFile, .. context.Run.VarFiles.Select(f => "-var-file=" + f), .. context.Run.ExtraFor("plan")], null, cancellationToken).ConfigureAwait(false);
        PrivateFile.Restrict(planFile); // plans hold secrets: 0600
        return result.Outcome == TerraformOutcome.Failed && result.ExitCode == 2
            ? result with { Outcome = TerraformOutcome.Changes, Error = null, Diagnostics = null }
            : result;
    }

    public Task<TerraformResult> ShowJsonAsync(TerraformContext context, string planFile, string jsonFile, CancellationToken cancellationToken) =>
        RunAsync(context, ["show", "-json", "-no-color", planFile], jsonFile, cancellationToken);

    // A saved plan already holds its variables: var files are not passed to apply.
    public Task<TerraformResult> ApplyAsync(TerraformContext context, string planFile, CancellationToken cancellationToken) =>
        RunAsync(context, ["apply", "-input=false", "-no-color", LockTimeout, .. context.Run.ExtraFor("apply"), planFile], null, cancellationToken);

    private string LockTimeout => $"-lock-timeout={(int)options.LockTimeout.TotalSeconds}s";

    /// <summary>
    /// terraform's environment, in one place: the configured base, PlanBot's fixed settings, then the
    /// project's own env (literals, or the runner's variables it names). Null when a named runner
    /// variable is missing (<paramref name="error"/> says which).
    /// </summary>
    internal Dictionary<string, string?>? Environment(TerraformContext context, out string? error)
    {
        error = null;
        var environment = new Dictionary<string, string?>(ProjectEnvironment.Build(options.Environment, options.Runner?.Keys ?? [])) // without PlanBot's own credentials
        {
            ["TF_IN_AUTOMATION"] = "1",
            ["TF_INPUT"] = "0",
            ["CHECKPOINT_DISABLE"] = "1",
            ["TF_WORKSPACE"] = null, // the workspace is selected explicitly; an inherited one would override it
        };
        if (options.PluginCacheDir is { } cache)
        {
            Directory.CreateDirectory(cache);
            environment["TF_PLUGIN_CACHE_DIR"] = cache;
        }

        if (context.Run.Terragrunt)
        {
            // Terragrunt never prompts, and runs the terraform (or tofu) PlanBot was told to use.
            environment["TG_NON_INTERACTIVE"] = "true";
            environment["TERRAGRUNT_NON_INTERACTIVE"] = "true";
            environment["TG_TF_PATH"] = options.Binary;
            environment["TERRAGRUNT_TFPATH"] = options.Binary;
        }

        foreach (var env in context.Run.Env)
        {
            if (!env.FromRunner)
            {
                environment[env.Name] = env.Value;
            }
            else if ((options.RunnerVariable ?? (name => options.Runner?.GetValueOrDefault(name)))(env.Value) is { } value)
            {
                environment[env.Name] = value;
            }
            else
            {
                error = $"env {env.Name} takes the runner's {env.Value}, which is not set; set it on the runner or remove the entry from planbot.yaml";
                return null;
            }
        }

        return environment;
    }

    private async Task<TerraformResult> RunAsync(TerraformContext context, string[] arguments, string? stdoutFile, CancellationToken cancellationToken)
    {
        var environment = Environment(context, out var envError);
        if (environment is null)
        {
            return new TerraformResult { Outcome = TerraformOutcome.Failed, ExitCode = -1, Error = envError };
        }

        var binary = context.Run.Terragrunt ? options.TerragruntBinary : options.Binary;
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = binary,
            Arguments = arguments,
            WorkingDirectory = context.WorkingDir,
            Inherited = options.Runner,
            Withhold = ProjectEnvironment.Withheld,
            Environment = environment,
            LogFile = context.LogFile,
            StdoutFile = stdoutFile,
            Timeout = options.StepTimeout,
        }, cancellationToken).ConfigureAwait(false);

        var result = TerraformOutput.Interpret(arguments[0], binary, outcome);
        return result.Outcome == TerraformOutcome.NotFound && context.Run.Terragrunt
            ? result with { Error = $"{outcome.StderrTail}: this project is a Terragrunt unit (it has terragrunt.hcl) and is planned through terragrunt; install terragrunt on the runner (or put it on PATH)" }
            : result;
    }
}
