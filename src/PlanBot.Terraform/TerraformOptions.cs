namespace PlanBot.Terraform;

public sealed record TerraformOptions
{
    /// <summary>terraform, tofu, or a path to either.</summary>
    public string Binary { get; init; } = "terraform";
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>How long terraform waits for its own state lock before reporting it held.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Shared provider cache (TF_PLUGIN_CACHE_DIR) so each project does not download providers again.</summary>
    public string? PluginCacheDir { get; init; }
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
}
