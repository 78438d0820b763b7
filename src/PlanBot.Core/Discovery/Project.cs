using PlanBot.Core.Common;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Discovery;

public enum ProjectSource
{
    Discovered,
    Configured,
}

/// <summary>A Terraform root module dir plus workspace: the unit PlanBot plans, locks and applies.</summary>
public sealed record Project
{
    public required string Name { get; init; }
    public required string Dir { get; init; }
    public string Workspace { get; init; } = "default";
    public ProjectSource Source { get; init; }
    public IReadOnlyList<string> DependsOn { get; init; } = [];
    public IReadOnlyList<Glob> WhenModified { get; init; } = [];
    public bool Foundational { get; init; }
    /// <summary>Whether a change in a module this project calls affects it (<c>autoplan.modules</c>).</summary>
    public bool FollowModules { get; init; } = true;
    /// <summary>Local module dirs this project calls, directly or transitively.</summary>
    public IReadOnlyList<string> ModuleDirs { get; init; } = [];
    /// <summary>The comparable address of the state this project writes (see <see cref="StateAddress"/>).</summary>
    public string? StateAddress { get; init; }
    public IReadOnlyList<RemoteStateRef> RemoteStates { get; init; } = [];
    /// <summary>Syntax errors in the project's own files and its modules; the project is still listed.</summary>
    public IReadOnlyList<string> ParseErrors { get; init; } = [];
    /// <summary>A Terragrunt unit (its dir holds terragrunt.hcl): planned through terragrunt.</summary>
    public bool Terragrunt { get; init; }
    /// <summary>How terraform runs here: var files, backend config, env, extra args, terragrunt.</summary>
    public TerraformRun Run { get; init; } = TerraformRun.Default;
    /// <summary>The workflow this project runs (planbot.yaml <c>workflows</c>); null: init, plan; apply.</summary>
    public Config.WorkflowDefinition? Workflow { get; init; }
    /// <summary>Files outside the dir whose change affects the project (Terragrunt includes).</summary>
    public IReadOnlyList<string> IncludedFiles { get; init; } = [];
    /// <summary>False when a configured dir holds no Terraform files.</summary>
    public bool Exists { get; init; } = true;
    public int ConfigLine { get; init; }
}

/// <summary>Everything discovery found in one working tree.</summary>
public sealed record DiscoveryResult
{
    public IReadOnlyList<Project> Projects { get; init; } = [];
    /// <summary>Dirs with Terraform files, by dir.</summary>
    public IReadOnlyDictionary<string, DirFacts> Dirs { get; init; } = new Dictionary<string, DirFacts>();
    /// <summary>Dirs called as a local module by another dir.</summary>
    public IReadOnlySet<string> ModuleDirs { get; init; } = new HashSet<string>();
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public Project? Find(string name) => Projects.FirstOrDefault(p => p.Name == name);
}
