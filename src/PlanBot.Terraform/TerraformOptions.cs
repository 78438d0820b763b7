namespace PlanBot.Terraform;

public sealed record TerraformOptions
{
    /// <summary>terraform, tofu, or a path to either.</summary>
    public string Binary { get; init; } = "terraform";
    /// <summary>What runs Terragrunt units: terragrunt, or a path to it.</summary>
    public string TerragruntBinary { get; init; } = "terragrunt";
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>How long terraform waits for its own state lock before reporting it held.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Shared provider cache (TF_PLUGIN_CACHE_DIR) so each project does not download providers again.</summary>
    public string? PluginCacheDir { get; init; }
    /// <summary>Where versions asked for by a project (<c>terraform.version</c>, .terraform-version, required_version) are installed; null: none can be.</summary>
    public string? VersionsDir { get; init; }
    /// <summary>terraform.mirror: the base URL versions are installed from; null: the product's own releases.</summary>
    public string? Mirror { get; init; }
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
    /// <summary>
    /// The runner's environment as PlanBot found it (PlanBotSettings.Runner): what terraform starts from,
    /// minus PlanBot's credentials. Null: terraform inherits this process's environment, minus the same
    /// credentials (<see cref="Processes.ProjectEnvironment.Withheld"/> at spawn).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Runner { get; init; }
    /// <summary>Where a project's <c>env: {NAME: {from: VAR}}</c> reads VAR; null: <see cref="Runner"/> (tests pass their own).</summary>
    public Func<string, string?>? RunnerVariable { get; init; }
}
