using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform;
using PlanBot.Terraform.Git;

namespace PlanBot.Cli.Commands;

/// <summary>Wires the engine's ports to their local adapters, in one place.</summary>
public static class Engine
{
    /// <summary>PLANBOT_DATA_DIR (default ./.planbot): plans, logs, worktrees and the provider cache.</summary>
    public static string DataDir => OutputPaths.CheckDataDir(Path.GetFullPath(Environment.GetEnvironmentVariable("PLANBOT_DATA_DIR") is { Length: > 0 } dir ? dir : ".planbot"));

    public static ITerraform Terraform(TerraformSettings settings, string dataDir) => new TerraformCli(new TerraformOptions
    {
        Binary = Environment.GetEnvironmentVariable("PLANBOT_TERRAFORM_BINARY") is { Length: > 0 } binary ? binary : settings.Binary, // the action's terraform-binary input
        StepTimeout = settings.StepTimeout,
        LockTimeout = settings.LockTimeout,
        PluginCacheDir = Environment.GetEnvironmentVariable("TF_PLUGIN_CACHE_DIR") is { Length: > 0 } cache ? cache : Path.Combine(dataDir, "plugin-cache"),
    });

    public static PlanWorkflow PlanWorkflow(IProgress<string>? progress, string dataDir, ILockStore? locks = null) =>
        new(settings => Terraform(settings, dataDir), new GitCli(), progress, locks is null ? null : _ => locks);
}
