using PlanBot.Core.Ports;
using PlanBot.Terraform.Processes;

namespace PlanBot.Terraform;

/// <summary>Runs terraform (or tofu) as a child process, non-interactively, one step at a time.</summary>
public sealed class TerraformCli(TerraformOptions options) : ITerraform
{
    public Task<TerraformResult> InitAsync(TerraformContext context, CancellationToken cancellationToken) =>
        RunAsync(context, ["init", "-input=false", "-no-color", LockTimeout], null, cancellationToken);

    public Task<TerraformResult> SelectWorkspaceAsync(TerraformContext context, CancellationToken cancellationToken) =>
        RunAsync(context, ["workspace", "select", "-or-create=true", "-no-color", context.Workspace], null, cancellationToken);

    public async Task<TerraformResult> PlanAsync(TerraformContext context, string planFile, CancellationToken cancellationToken)
    {
        var result = await RunAsync(context, ["plan", "-input=false", "-no-color", LockTimeout, "-detailed-exitcode", "-out=" + planFile], null, cancellationToken).ConfigureAwait(false);
        PrivateFile.Restrict(planFile); // plans hold secrets: 0600
        return result.Outcome == TerraformOutcome.Failed && result.ExitCode == 2
            ? result with { Outcome = TerraformOutcome.Changes, Error = null, Diagnostics = null }
            : result;
    }

    public Task<TerraformResult> ShowJsonAsync(TerraformContext context, string planFile, string jsonFile, CancellationToken cancellationToken) =>
        RunAsync(context, ["show", "-json", "-no-color", planFile], jsonFile, cancellationToken);

    public Task<TerraformResult> ApplyAsync(TerraformContext context, string planFile, CancellationToken cancellationToken) =>
        RunAsync(context, ["apply", "-input=false", "-no-color", LockTimeout, planFile], null, cancellationToken);

    private string LockTimeout => $"-lock-timeout={(int)options.LockTimeout.TotalSeconds}s";

    private async Task<TerraformResult> RunAsync(TerraformContext context, string[] arguments, string? stdoutFile, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string?>(ProjectEnvironment.Build(options.Environment)) // without PlanBot's own credentials
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

        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = options.Binary,
            Arguments = arguments,
            WorkingDirectory = context.WorkingDir,
            Environment = environment,
            LogFile = context.LogFile,
            StdoutFile = stdoutFile,
            Timeout = options.StepTimeout,
        }, cancellationToken).ConfigureAwait(false);

        return TerraformOutput.Interpret(arguments[0], options.Binary, outcome);
    }
}
