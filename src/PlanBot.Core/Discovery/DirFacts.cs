using PlanBot.Core.Discovery.Hcl;

namespace PlanBot.Core.Discovery;

/// <summary>A backend (or a terraform_remote_state data source) as configured: its type and config.</summary>
public sealed record BackendRef(string Type, HclObject Config, string File, int Line);

public sealed record ModuleCall(string Name, string Source, string File, int Line);

public sealed record RemoteStateRef(string Name, BackendRef Backend, string Workspace, string File, int Line);

/// <summary>What discovery learnt from the Terraform files of one directory.</summary>
public sealed record DirFacts
{
    public required string Dir { get; init; }
    public IReadOnlyList<string> Files { get; init; } = [];
    public BackendRef? Backend { get; init; }
    public bool HasCloudBlock { get; init; }
    public IReadOnlyList<ModuleCall> ModuleCalls { get; init; } = [];
    public IReadOnlyList<RemoteStateRef> RemoteStates { get; init; } = [];
    /// <summary>The dir's terragrunt.hcl, when it has one.</summary>
    public TerragruntUnit? Terragrunt { get; init; }
    /// <summary><c>terraform { required_version = "…" }</c> as written, when the dir sets it.</summary>
    public string? RequiredVersion { get; init; }
    /// <summary>The first line of the dir's <c>.terraform-version</c> (or <c>.opentofu-version</c>), when it has one.</summary>
    public string? VersionFile { get; init; }
    /// <summary>Which file <see cref="VersionFile"/> came from (repository-relative).</summary>
    public string? VersionFilePath { get; init; }
    /// <summary>Syntax errors as "file:line:column: message".</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    public bool DeclaresBackend => Backend is not null || HasCloudBlock;
}
