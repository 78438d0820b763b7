using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The one loader of a run's configuration. A pull request's run takes the policy keys from the
/// trusted side (planbot.yaml at the PR's base commit, read through git — never the head's file) and
/// the layout keys from the head (<see cref="TrustedPolicy"/>). Merges, drift checks and
/// default-branch runs read the default branch's checkout. PLANBOT_CONFIG_DIR (the Action's
/// config-path) applies to both sides.
/// </summary>
public static class RunConfigLoader
{
    /// <param name="checkout">The checkout's root.</param>
    /// <param name="configDir">PLANBOT_CONFIG_DIR / the Action's config-path: where planbot.yaml is, relative to the checkout; null: its root.</param>
    /// <exception cref="ConfigException">planbot.yaml is malformed or invalid.</exception>
    public static RunConfig Load(string checkout, string? configDir = null)
    {
        var dir = Dir(checkout, configDir);
        return new RunConfig(ConfigLoader.Load(dir), dir);
    }

    /// <summary>As <see cref="Load(string, string?)"/>, under the operator's server policy (null: none).</summary>
    /// <exception cref="ConfigException">planbot.yaml is invalid, or asks for what the server policy does not allow.</exception>
    public static RunConfig Load(string checkout, string? configDir, ServerPolicy? policy)
    {
        var run = Load(checkout, configDir);
        return policy is null ? run : run with { Config = policy.Tighten(run.Config) };
    }

    /// <summary>
    /// A pull request's configuration: the head's layout (from the checkout) under the policy of
    /// <paramref name="trustedSha"/> (the PR's base on the default branch). No planbot.yaml there: the defaults' policy.
    /// </summary>
    /// <exception cref="ConfigException">planbot.yaml is invalid on either side, or the trusted side cannot be read.</exception>
    public static Task<RunConfig> LoadForPullRequestAsync(IGit git, string checkout, string trustedSha, string? configDir, CancellationToken cancellationToken) =>
        LoadForPullRequestAsync(git, checkout, trustedSha, configDir, null, cancellationToken);

    /// <summary>
    /// As above, with the trusted side's policy tightened by the operator's server policy (null: none).
    /// Which policy keys the PR changes is judged against the base's own file, not the tightened result.
    /// </summary>
    /// <exception cref="ConfigException">planbot.yaml is invalid on either side, the trusted side cannot be read, or it asks for what the server policy does not allow.</exception>
    public static async Task<RunConfig> LoadForPullRequestAsync(IGit git, string checkout, string trustedSha, string? configDir, ServerPolicy? policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(git);
        var run = Load(checkout, configDir);
        var relative = Path.GetRelativePath(checkout, run.Dir).Replace('\\', '/');
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new ConfigException($"config-path '{configDir}' is outside the repository: give a directory inside it (for example ci)");
        }

        var trusted = PlanBotConfig.Default;
        foreach (var name in ConfigLoader.FileNames)
        {
            var path = relative == "." ? name : $"{relative}/{name}";
            string? text;
            try
            {
                text = await git.ShowFileAsync(checkout, trustedSha, path, cancellationToken).ConfigureAwait(false);
            }
            catch (Common.UsageException e)
            {
                throw new ConfigException($"cannot read the trusted {path} at the base {trustedSha[..Math.Min(7, trustedSha.Length)]}: {e.Message}", e);
            }

            if (text is not null)
            {
                trusted = ConfigLoader.Parse($"{path} (base {trustedSha[..Math.Min(7, trustedSha.Length)]})", text);
                break;
            }
        }

        var merged = TrustedPolicy.Merge(policy?.Tighten(trusted) ?? trusted, run.Config);
        return run with { Config = merged with { PolicyChanges = TrustedPolicy.Changes(trusted, run.Config) } };
    }

    /// <summary>No checkout to read (a closed PR whose workspace is gone): the defaults.</summary>
    public static RunConfig Defaults(string dir, ServerPolicy? policy = null) => new(policy?.Tighten(PlanBotConfig.Default) ?? PlanBotConfig.Default, dir);

    private static string Dir(string checkout, string? configDir) => configDir is null ? checkout : Path.GetFullPath(configDir, checkout);
}
