namespace PlanBot.Core.Config;

/// <summary>A value as written in planbot.yaml, with the line it was written on.</summary>
public readonly record struct Located<T>(T Value, int Line, int Column);

/// <summary>Stage one: exactly what planbot.yaml says, typed, with positions; nothing checked beyond syntax and types.</summary>
public sealed record RawConfig
{
    public string File { get; init; } = "planbot.yaml";
    public Located<int>? Version { get; init; }
    public Located<string>? TerraformBinary { get; init; }
    public Located<string>? TerraformTimeout { get; init; }
    public Located<string>? TerraformLockTimeout { get; init; }
    public Located<int>? Parallelism { get; init; }
    public Located<bool>? DiscoveryEnabled { get; init; }
    public IReadOnlyList<Located<string>> DiscoveryIgnore { get; init; } = [];
    public IReadOnlyList<RawProject> Projects { get; init; } = [];
    public Located<bool>? ApprovalDestructive { get; init; }
    public IReadOnlyList<Located<string>> FoundationalPaths { get; init; } = [];
    public IReadOnlyList<Located<string>> FoundationalTypes { get; init; } = [];
    public IReadOnlyList<Located<string>> ApproverUsers { get; init; } = [];
    public IReadOnlyList<Located<string>> ApproverTeams { get; init; } = [];
    public Located<string>? ApproverMinPermission { get; init; }
    public Located<bool>? AllowSelfApproval { get; init; }
    public Located<int>? ApprovalsRequired { get; init; }
    public Located<string>? ApplyMode { get; init; }
    public Located<string>? ApplyDependents { get; init; }
    public Located<string>? LocksBackend { get; init; }
    public Located<string>? LocksTtl { get; init; }
    public Located<string>? PlansStore { get; init; }
    /// <summary>Settings of one lock or plan backend (<c>locks.dynamodb</c>, <c>plans.s3</c>, …), key by key.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Located<string>>> Backends { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, Located<string>>>();
    public Located<int>? CommentsMaxChars { get; init; }
    public Located<int>? CommentsMaxParts { get; init; }
    public IReadOnlyList<Located<string>> CommentsMask { get; init; } = [];
    public Located<bool>? PlanDrafts { get; init; }
    public Located<bool>? PlanForks { get; init; }
    /// <summary><c>commands.&lt;verb&gt;.min_permission</c>, by verb.</summary>
    public IReadOnlyDictionary<string, Located<string>> CommandMinPermissions { get; init; } = new Dictionary<string, Located<string>>();
    public Located<bool>? AutoplanModules { get; init; }
    /// <summary>terraform.var_files, backend_config, env, extra_args: repository-wide (top level) or the project's own.</summary>
    public RawRunSettings Run { get; init; } = new();
    /// <summary><c>terraform.mirror</c>: the base URL terraform/tofu versions are installed from.</summary>
    public Located<string>? TerraformMirror { get; init; }
    /// <summary><c>workflows</c>: named step lists.</summary>
    public IReadOnlyList<RawWorkflow> Workflows { get; init; } = [];
    /// <summary><c>allowed_repositories</c>: a server policy's list of repositories PlanBot acts for (never a repository's key).</summary>
    public IReadOnlyList<Located<string>> AllowedRepositories { get; init; } = [];
}

/// <summary>One <c>workflows.&lt;name&gt;</c> entry as written.</summary>
public sealed record RawWorkflow
{
    public required Located<string> Name { get; init; }
    /// <summary>null: the key was not written (the default steps).</summary>
    public IReadOnlyList<RawStep>? Plan { get; init; }
    public IReadOnlyList<RawStep>? Apply { get; init; }
}

/// <summary>One step as written: <c>init</c>, <c>plan</c>, <c>apply</c>, or <c>{ run: [argv…], name, env, timeout }</c>.</summary>
public sealed record RawStep
{
    public int Line { get; init; }
    public int Column { get; init; }
    /// <summary>init, plan, apply or run.</summary>
    public Located<string>? Kind { get; init; }
    public IReadOnlyList<Located<string>> Argv { get; init; } = [];
    public Located<string>? Name { get; init; }
    public Located<string>? Timeout { get; init; }
    public IReadOnlyList<(Located<string> Name, Located<string> Value, bool FromRunner)> Env { get; init; } = [];
}

public sealed record RawProject
{
    public int Line { get; init; }
    public int Column { get; init; }
    public Located<string>? Name { get; init; }
    public Located<string>? Dir { get; init; }
    public Located<string>? Workspace { get; init; }
    public IReadOnlyList<Located<string>> DependsOn { get; init; } = [];
    public IReadOnlyList<Located<string>> WhenModified { get; init; } = [];
    public Located<bool>? Foundational { get; init; }
    public Located<bool>? AutoplanModules { get; init; }
    /// <summary>terraform.var_files, backend_config, env, extra_args: repository-wide (top level) or the project's own.</summary>
    public RawRunSettings Run { get; init; } = new();
    /// <summary>The name of the workflow under <c>workflows</c> this project runs.</summary>
    public Located<string>? Workflow { get; init; }
}

/// <summary>How terraform runs for a project, as written (issue 17): var files, backend config, env, extra args.</summary>
public sealed record RawRunSettings
{
    public IReadOnlyList<Located<string>> VarFiles { get; init; } = [];
    public IReadOnlyList<Located<string>> BackendConfig { get; init; } = [];
    /// <summary>Name → literal value, or (with FromRunner) the runner's variable of that name.</summary>
    public IReadOnlyList<(Located<string> Name, Located<string> Value, bool FromRunner)> Env { get; init; } = [];
    /// <summary>Step (init, plan, apply) → its extra arguments.</summary>
    public IReadOnlyList<(Located<string> Step, IReadOnlyList<Located<string>> Args)> ExtraArgs { get; init; } = [];
    /// <summary><c>version</c>: the exact terraform/tofu version to install and run.</summary>
    public Located<string>? Version { get; init; }
}
