using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Discovery;

/// <summary>Turns validated settings (repository-relative paths) into a project's argv-ready <see cref="TerraformRun"/>.</summary>
public static class ProjectRun
{
    public static TerraformRun For(string dir, RunSettings settings, bool terragrunt)
    {
        // terraform runs in the project dir: repository paths become relative to it.
        var up = string.Concat(Enumerable.Repeat("../", RepoPath.Segments(dir).Count()));
        return new TerraformRun
        {
            Terragrunt = terragrunt,
            VarFiles = settings.VarFiles.Select(f => up + f).ToArray(),
            BackendConfig = settings.BackendConfig.Select(b => b.KeyValue ?? up + b.File).ToArray(),
            Env = settings.Env.Select(e => new TerraformEnv(e.Name, e.Value, e.FromRunner)).ToArray(),
            ExtraArgs = settings.ExtraArgs,
        };
    }
}

/// <summary>Adds the chosen version to a run.</summary>
public static class TerraformRunVersion
{
    public static TerraformRun WithVersion(this TerraformRun run, (string? Version, string? Source) choice) =>
        choice.Version is null ? run : run with { Version = choice.Version, VersionSource = choice.Source };
}
