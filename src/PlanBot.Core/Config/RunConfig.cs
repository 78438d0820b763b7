namespace PlanBot.Core.Config;

/// <summary>
/// The configuration one run works with, loaded once at the start of the run and handed down to
/// every workflow (nothing below the entry loads planbot.yaml again).
/// </summary>
/// <param name="Config">The effective configuration.</param>
/// <param name="Dir">The directory planbot.yaml was looked for in.</param>
public sealed record RunConfig(PlanBotConfig Config, string Dir);

/// <summary>
/// The one loader of a run's configuration. Today every key comes from the checkout being worked on
/// (the PR's head, or the default branch for merges and drift checks). This is the seam where the
/// trust boundary goes: policy keys (approval, apply, locks, pull_requests) from the default branch,
/// layout keys (projects, discovery, terraform, comments) from the head, merged here.
/// </summary>
public static class RunConfigLoader
{
    /// <param name="checkout">The checkout's root.</param>
    /// <param name="configDir">PLANBOT_CONFIG_DIR / the Action's config-path: where planbot.yaml is, relative to the checkout; null: its root.</param>
    /// <exception cref="ConfigException">planbot.yaml is malformed or invalid.</exception>
    public static RunConfig Load(string checkout, string? configDir = null)
    {
        var dir = configDir is null ? checkout : Path.GetFullPath(configDir, checkout);
        return new RunConfig(ConfigLoader.Load(dir), dir);
    }

    /// <summary>No checkout to read (a closed PR whose workspace is gone): the defaults.</summary>
    public static RunConfig Defaults(string dir) => new(PlanBotConfig.Default, dir);
}
