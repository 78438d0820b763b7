using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The one loader of a run's configuration. A pull request's run takes the policy keys from the
/// trusted side (planbot.yaml at the head of the PR's base branch when the run starts, read through
/// git — never the head's file; <see cref="TrustedBase"/>) and
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
    /// <paramref name="trustedSha"/>. No planbot.yaml there: the defaults' policy.
    /// </summary>
    /// <exception cref="ConfigException">planbot.yaml is invalid on either side, or the trusted side cannot be read.</exception>
    public static Task<RunConfig> LoadForPullRequestAsync(IGit git, string checkout, string trustedSha, string? configDir, CancellationToken cancellationToken) =>
        LoadForPullRequestAsync(git, checkout, trustedSha, configDir, null, cancellationToken);

    /// <summary>As above, with the trusted side's policy tightened by the operator's server policy (null: none).</summary>
    /// <exception cref="ConfigException">planbot.yaml is invalid on either side, the trusted side cannot be read, or it asks for what the server policy does not allow.</exception>
    public static Task<RunConfig> LoadForPullRequestAsync(IGit git, string checkout, string trustedSha, string? configDir, ServerPolicy? policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trustedSha);
        return LoadForPullRequestAsync(git, checkout, new TrustedBase(trustedSha, $"base {trustedSha[..Math.Min(7, trustedSha.Length)]}"), configDir, policy, cancellationToken);
    }

    /// <summary>
    /// A pull request's configuration: the head's layout under the policy of <paramref name="trusted"/>
    /// (its base branch as it is when the run starts, <see cref="TrustedBase.ResolveAsync"/>), tightened by
    /// the operator's server policy (null: none). Which policy keys the PR changes is judged against the
    /// file at the PR's fork point (what its own commits started from; the trusted file when that is not
    /// known or not readable), never against the tightened result: a PR that is only behind a tightened
    /// branch changes nothing, and the server's tightening is not a change of the PR's.
    /// </summary>
    /// <exception cref="ConfigException">planbot.yaml is invalid on either side, the trusted side cannot be read, or it asks for what the server policy does not allow.</exception>
    public static async Task<RunConfig> LoadForPullRequestAsync(IGit git, string checkout, TrustedBase trusted, string? configDir, ServerPolicy? policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(git);
        ArgumentNullException.ThrowIfNull(trusted);
        var run = Load(checkout, configDir);
        var relative = Path.GetRelativePath(checkout, run.Dir).Replace('\\', '/');
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new ConfigException($"config-path '{configDir}' is outside the repository: give a directory inside it (for example ci)");
        }

        // both sides are read at once (two git processes side by side, issue 19); the trusted side's error is the one told
        var trustedRules = ReadAtAsync(git, checkout, trusted.Sha, trusted.Label, relative, cancellationToken);
        var forkRules = trusted.ForkPoint is { } fork && fork != trusted.Sha
            ? ReadAtAsync(git, checkout, fork, $"fork point {fork[..Math.Min(7, fork.Length)]}", relative, cancellationToken)
            : null;
        PlanBotConfig rules;
        try
        {
            rules = await trustedRules.ConfigureAwait(false);
        }
        catch when (forkRules is not null)
        {
            await Task.WhenAny(forkRules).ConfigureAwait(false); // not left running behind the error; its own outcome does not count
            _ = forkRules.Exception;
            throw;
        }

        var before = rules;
        if (forkRules is not null)
        {
            try
            {
                before = await forkRules.ConfigureAwait(false);
            }
            catch (ConfigException)
            {
                before = rules; // an old, broken file: judge the PR's changes against the trusted one (reports more, never less)
            }
        }

        var merged = TrustedPolicy.Merge(policy?.Tighten(rules) ?? rules, run.Config);
        return run with { Config = merged with { PolicyChanges = TrustedPolicy.Changes(before, run.Config), PolicyReadAt = trusted.PullRequestNote } };
    }

    /// <summary>planbot.yaml (or .yml) under the config dir at <paramref name="sha"/>, through git; none: the defaults.</summary>
    private static async Task<PlanBotConfig> ReadAtAsync(IGit git, string checkout, string sha, string label, string relative, CancellationToken cancellationToken)
    {
        string[] paths = [.. ConfigLoader.FileNames.Select(name => relative == "." ? name : $"{relative}/{name}")];
        (string Path, string Text)? found;
        try
        {
            found = await git.ShowFirstFileAsync(checkout, sha, paths, cancellationToken).ConfigureAwait(false);
        }
        catch (Common.UsageException e)
        {
            // git's message names the file when one of them is not a plain file; a damaged tree is neither's in particular
            throw new ConfigException($"cannot read the trusted {string.Join(" / ", paths)} at {label}: {e.Message}", e);
        }

        return found is var (path, text) ? ConfigLoader.Parse($"{path} ({label})", text) : PlanBotConfig.Default;
    }

    /// <summary>No checkout to read (a closed PR whose workspace is gone): the defaults.</summary>
    public static RunConfig Defaults(string dir, ServerPolicy? policy = null) => new(policy?.Tighten(PlanBotConfig.Default) ?? PlanBotConfig.Default, dir);

    private static string Dir(string checkout, string? configDir) => configDir is null ? checkout : Path.GetFullPath(configDir, checkout);
}
