using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Terraform.Processes;
using PlanBot.Terraform.Versions;

namespace PlanBot.Terraform;

/// <summary>
/// Runs terraform (or tofu, or terragrunt for a Terragrunt unit) as a child process, non-interactively,
/// one step at a time. A project's var files, backend config and extra args are appended as argv
/// (never through a shell); its env is layered on the runner's in <see cref="Environment"/>.
/// </summary>
public sealed class TerraformCli(TerraformOptions options) : ITerraform
{
    /// <summary>
    /// terraform init. With a shared plugin cache (TF_PLUGIN_CACHE_DIR), inits take turns: terraform
    /// writes the cache without locking, and two inits installing one provider at once can leave a
    /// half-written package the other then fails to verify (hashicorp/terraform#31964). See docs/configuration.md.
    /// </summary>
    public async Task<TerraformResult> InitAsync(TerraformContext context, CancellationToken cancellationToken)
    {
        string[] arguments = ["init", "-input=false", "-no-color", LockTimeout, .. context.Run.BackendConfig.Select(b => "-backend-config=" + b), .. context.Run.ExtraFor("init")];
        if (options.PluginCacheDir is not { } cache)
        {
            return await RunAsync(context, arguments, null, cancellationToken).ConfigureAwait(false);
        }

        await using var turn = (await ExclusiveLock.AcquireAsync(Path.Combine(cache, ".planbot-init.lock"), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        return await RunAsync(context, arguments, null, cancellationToken).ConfigureAwait(false);
    }

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

    /// <summary>
    /// A workflow's run step: argv in the project's dir, with terraform's environment (PlanBot's
    /// credentials withheld, the project's env) plus the step's own, in its own process group, killed
    /// with everything it started at its timeout. Its output is the tail of <see cref="TerraformContext.LogFile"/>.
    /// </summary>
    public async Task<TerraformResult> RunStepAsync(TerraformContext context, RunStep step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(step);
        var environment = Environment(context with { Run = context.Run with { Env = [.. context.Run.Env, .. step.Env] } }, out var envError);
        if (environment is null)
        {
            return new TerraformResult { Outcome = TerraformOutcome.Failed, ExitCode = -1, Error = $"run {step.Name}: {envError}" };
        }

        var limit = step.Timeout ?? options.StepTimeout;
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = step.Argv[0],
            Arguments = step.Argv.Skip(1).ToArray(),
            WorkingDirectory = context.WorkingDir,
            Environment = environment,
            LogFile = context.LogFile,
            Timeout = limit,
        }, cancellationToken).ConfigureAwait(false);
        var output = StepOutput.Tail(context.LogFile);
        return outcome switch
        {
            { NotFound: true } => new TerraformResult { Outcome = TerraformOutcome.NotFound, ExitCode = -1, Output = output, Error = $"run {step.Name}: {outcome.StderrTail}; install it on the runner, or give its path (relative to the project dir) in the workflow" },
            { TimedOut: true } => new TerraformResult { Outcome = TerraformOutcome.TimedOut, ExitCode = outcome.ExitCode, Output = output, Duration = outcome.Duration, Error = $"run {step.Name} hit its {limit} timeout and was killed with every process it started; raise the step's timeout in the workflow if it needs longer" },
            { Cancelled: true } => new TerraformResult { Outcome = TerraformOutcome.Cancelled, ExitCode = outcome.ExitCode, Output = output, Duration = outcome.Duration, Error = $"run {step.Name} was cancelled" },
            { ExitCode: 0 } => new TerraformResult { Outcome = TerraformOutcome.Succeeded, Output = output, Duration = outcome.Duration },
            _ => new TerraformResult { Outcome = TerraformOutcome.Failed, ExitCode = outcome.ExitCode, Output = output, Duration = outcome.Duration, Error = $"run {step.Name} exited with code {outcome.ExitCode}" },
        };
    }

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

        var terraform = options.Binary;
        if (context.Run.Version is { } version)
        {
            var installed = await InstallAsync(version, cancellationToken).ConfigureAwait(false);
            if (installed.Path is null)
            {
                return new TerraformResult { Outcome = TerraformOutcome.NotFound, ExitCode = -1, Error = installed.Error };
            }

            terraform = installed.Path;
            if (context.Run.Terragrunt)
            {
                environment["TG_TF_PATH"] = terraform;
                environment["TERRAGRUNT_TFPATH"] = terraform;
            }
        }

        var binary = context.Run.Terragrunt ? options.TerragruntBinary : terraform;
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
        return result.Outcome != TerraformOutcome.NotFound ? result
            : context.Run.Terragrunt ? result with { Error = $"{outcome.StderrTail}: this project is a Terragrunt unit (it has terragrunt.hcl) and is planned through terragrunt; install terragrunt on the runner (or put it on PATH)" }
            : VersionInstaller.ProductOf(binary) == "tofu" ? result with { Error = $"{outcome.StderrTail}: OpenTofu is not installed on this runner; install it (opentofu/setup-opentofu), use the PlanBot image (it bundles tofu), set terraform.version so PlanBot installs it from the mirror, or set terraform.binary (the Action's terraform-binary) back to terraform" }
            : result;
    }

    /// <summary>The binary of a version the project asked for, installed from the mirror (verified) when not yet in the versions dir.</summary>
    private Task<InstallResult> InstallAsync(string version, CancellationToken cancellationToken) =>
        options.VersionsDir is not { } dir
            ? Task.FromResult(new InstallResult(null, $"this project asks for {VersionInstaller.ProductOf(options.Binary)} {version}, but PlanBot has no versions dir to install it in (set PLANBOT_DATA_DIR)"))
            : new VersionInstaller(dir).EnsureAsync(VersionInstaller.ProductOf(options.Binary), version, options.Mirror, cancellationToken);
}
