using PlanBot.Core.Common;

namespace PlanBot.Core.Config;

/// <summary>Stage two: the validated, immutable configuration the engine runs on.</summary>
public sealed record PlanBotConfig
{
    public static readonly PlanBotConfig Default = new();

    /// <summary>Where the configuration came from, or null when there was no planbot.yaml.</summary>
    public string? SourceFile { get; init; }
    public int Version { get; init; } = 1;
    public TerraformSettings Terraform { get; init; } = new();
    public int Parallelism { get; init; } = 4;
    public DiscoverySettings Discovery { get; init; } = new();
    public IReadOnlyList<ProjectConfig> Projects { get; init; } = [];
    public ApprovalSettings Approval { get; init; } = new();
    public ApplyMode ApplyMode { get; init; } = ApplyMode.OnMerge;
    /// <summary>What the merge does with projects that read an applied project (<c>apply.dependents</c>).</summary>
    public ApplyDependents ApplyDependents { get; init; } = ApplyDependents.Plan;
    public string LocksBackend { get; init; } = "local";
    public TimeSpan LocksTtl { get; init; } = TimeSpan.FromDays(7);
    public string PlansStore { get; init; } = "local";
    /// <summary>Settings of the chosen backends, by section (<c>locks.dynamodb</c>, <c>locks.azure</c>, <c>plans.s3</c>, <c>plans.azure</c>).</summary>
    public IReadOnlyDictionary<string, BackendSettings> Backends { get; init; } = new Dictionary<string, BackendSettings>();
    public CommentSettings Comments { get; init; } = new();
    public PullRequestSettings PullRequests { get; init; } = new();
    public CommandSettings Commands { get; init; } = new();
    /// <summary>
    /// The policy keys the PR's head changes compared with the trusted (default branch) side, set by
    /// <c>Workflows.RunConfigLoader</c>: they take effect after the merge, and the PR needs approval.
    /// </summary>
    public IReadOnlyList<string> PolicyChanges { get; init; } = [];
    /// <summary>
    /// Why the policy keys were read at the event's base, not the default branch's head (set by
    /// <c>Workflows.RunConfigLoader</c> when the head was not in the checkout): said in the plan comment. Null: read at the head.
    /// </summary>
    public string? PolicyReadAt { get; init; }
    /// <summary>What makes a project affected beyond its own files (<c>autoplan.modules</c>).</summary>
    public AutoplanSettings Autoplan { get; init; } = new();
    /// <summary>Whether planbot.yaml chose locks.backend (in Action mode the default is github, elsewhere local).</summary>
    public bool LocksBackendChosen { get; init; }
    /// <summary>Named step lists projects run (<c>workflows</c>); policy, like <see cref="Terraform"/>.</summary>
    public IReadOnlyDictionary<string, WorkflowDefinition> Workflows { get; init; } = new Dictionary<string, WorkflowDefinition>();

    /// <summary>The workflow a project runs: the one it names, else <c>default</c> when defined, else null (init, plan; apply).</summary>
    public WorkflowDefinition? WorkflowFor(string? name) => Workflows.GetValueOrDefault(name ?? WorkflowDefinition.DefaultName);

    /// <summary>The policy keys the file wrote (<see cref="PolicyKeys.Written"/>): what a server policy enforces, and where <c>planbot projects</c> says a value came from.</summary>
    public IReadOnlySet<string> Written { get; init; } = new HashSet<string>();
}

public sealed record PullRequestSettings
{
    public bool PlanDrafts { get; init; }
    /// <summary>Planning a fork runs its code with this repository's credentials: off unless asked for.</summary>
    public bool PlanForks { get; init; }
}

/// <summary>The role each <c>/planbot</c> command needs (<c>commands.&lt;verb&gt;.min_permission</c>).</summary>
public sealed record CommandSettings
{
    /// <summary>The verbs that take a <c>min_permission</c>; approve is governed by <c>approval.approvers</c>.</summary>
    public static readonly string[] Verbs = ["plan", "unlock", "apply"];

    public string Plan { get; init; } = "write";
    public string Unlock { get; init; } = "write";
    /// <summary>null: the approver rules (approval.approvers users, teams, min_permission).</summary>
    public string? Apply { get; init; }
}

public sealed record AutoplanSettings
{
    /// <summary>A change in a local module affects the projects calling it (transitively). Atlantis' default is off.</summary>
    public bool Modules { get; init; } = true;
}

public sealed record TerraformSettings
{
    /// <summary>The executable: <c>terraform</c> or <c>tofu</c>, or a path to either.</summary>
    public string Binary { get; init; } = "terraform";
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromMinutes(30);
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Repository-wide var files, backend config, env and extra args; each project adds its own.</summary>
    public RunSettings Run { get; init; } = RunSettings.None;
    /// <summary>
    /// <c>terraform.mirror</c>: the base URL versions are installed from, laid out like
    /// releases.hashicorp.com (<c>&lt;product&gt;/&lt;version&gt;/&lt;product&gt;_&lt;version&gt;_SHA256SUMS</c>); null: the product's own releases.
    /// </summary>
    public string? Mirror { get; init; }
}

/// <summary>
/// How terraform runs for a project (validated): file paths are repository-relative, backend config
/// entries are a repository-relative file or <c>key=value</c>.
/// </summary>
public sealed record RunSettings
{
    public static readonly RunSettings None = new();

    public IReadOnlyList<string> VarFiles { get; init; } = [];
    public IReadOnlyList<BackendConfigEntry> BackendConfig { get; init; } = [];
    public IReadOnlyList<EnvSetting> Env { get; init; } = [];
    /// <summary>init, plan, apply → extra arguments, passed after PlanBot's own.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ExtraArgs { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    /// <summary>The exact terraform/tofu version (<c>version</c>); the project's wins over the repository-wide one.</summary>
    public string? Version { get; init; }

    /// <summary>Defaults first, then the project's: lists append, env entries of the same name are replaced.</summary>
    public RunSettings Then(RunSettings project) => new()
    {
        VarFiles = [.. VarFiles, .. project.VarFiles],
        BackendConfig = [.. BackendConfig, .. project.BackendConfig],
        Env = [.. Env.Where(e => project.Env.All(p => p.Name != e.Name)), .. project.Env],
        ExtraArgs = ExtraArgs.Keys.Union(project.ExtraArgs.Keys).ToDictionary(
            step => step,
            step => (IReadOnlyList<string>)[.. ExtraArgs.GetValueOrDefault(step) ?? [], .. project.ExtraArgs.GetValueOrDefault(step) ?? []]),
        Version = project.Version ?? Version,
    };
}

/// <summary>One -backend-config: a file (repository-relative) or a key=value pair.</summary>
public sealed record BackendConfigEntry(string? File, string? KeyValue);

/// <summary>An environment variable for terraform: a literal value, or the runner's variable named <see cref="Value"/>.</summary>
public sealed record EnvSetting(string Name, string Value, bool FromRunner);

public sealed record DiscoverySettings
{
    public bool Enabled { get; init; } = true;
    public IReadOnlyList<Glob> Ignore { get; init; } = [];
}

public sealed record ProjectConfig
{
    public string? Name { get; init; }
    public required string Dir { get; init; }
    public string Workspace { get; init; } = "default";
    public IReadOnlyList<string> DependsOn { get; init; } = [];
    /// <summary>Repository-relative globs (written relative to the project dir, resolved at load).</summary>
    public IReadOnlyList<Glob> WhenModified { get; init; } = [];
    public bool Foundational { get; init; }
    /// <summary>This project's own terraform settings, added to the repository-wide ones.</summary>
    public RunSettings Run { get; init; } = RunSettings.None;
    /// <summary>This project's <c>autoplan.modules</c>; null takes the repository-wide setting.</summary>
    public bool? AutoplanModules { get; init; }
    /// <summary>The workflow (under <c>workflows</c>) this project runs; null: <c>default</c> when defined.</summary>
    public string? Workflow { get; init; }
    public int Line { get; init; }
}

public sealed record ApprovalSettings
{
    public bool Destructive { get; init; } = true;
    public IReadOnlyList<Glob> FoundationalPaths { get; init; } = [];
    public IReadOnlyList<Glob> FoundationalTypes { get; init; } = [];
    public IReadOnlyList<string> Users { get; init; } = [];
    public IReadOnlyList<string> Teams { get; init; } = [];
    public string MinPermission { get; init; } = "maintain";
    public bool AllowSelfApproval { get; init; }
    public int Required { get; init; } = 1;
}

public enum ApplyMode
{
    OnMerge,
    Comment,
}

/// <summary>
/// After a project applies, its dependents are re-planned against its new outputs; <c>plan</c> (the
/// default) posts those plans on the merged PR and applies nothing nobody looked at, <c>apply</c>
/// applies the ones that need no approval at once.
/// </summary>
public enum ApplyDependents
{
    Plan,
    Apply,
}

/// <summary>The keys each backend section takes; all strings.</summary>
public static class BackendKeys
{
    public static readonly string[] DynamoDb = ["table", "region", "endpoint"];
    public static readonly string[] Azure = ["account", "container", "endpoint"];
    public static readonly string[] S3 = ["bucket", "prefix", "region", "endpoint", "sse", "kms_key_id"];

    /// <summary>The keys a backend cannot work without.</summary>
    public static IReadOnlyList<string> Required(string section) => section switch
    {
        "locks.dynamodb" => ["table"],
        "locks.azure" or "plans.azure" => ["account", "container"],
        "plans.s3" => ["bucket"],
        _ => [],
    };
}

/// <summary>One backend section, as validated key/value strings.</summary>
public sealed record BackendSettings(IReadOnlyDictionary<string, string> Values)
{
    public string? this[string key] => Values.TryGetValue(key, out var value) ? value : null;
}

public sealed record CommentSettings
{
    public int MaxChars { get; init; } = 65_000;
    public int MaxParts { get; init; } = 5;
    public IReadOnlyList<string> Mask { get; init; } = [];
}
