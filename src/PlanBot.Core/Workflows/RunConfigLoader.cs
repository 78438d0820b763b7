using PlanBot.Core.Common;
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
    public static Task<RunConfig> LoadForPullRequestAsync(IGit git, string checkout, TrustedBase trusted, string? configDir, ServerPolicy? policy, CancellationToken cancellationToken) =>
        LoadForPullRequestAsync(git, checkout, trusted, configDir, policy, null, cancellationToken);

    /// <summary>
    /// As above, taking the file from <paramref name="readAhead"/> (started before the trusted side was known,
    /// <see cref="ReadAhead"/>) only for the side whose commit is the one it read: the trusted commit, or the fork
    /// point. Any other read ahead is discarded, its error never told, and that side is read at its own commit.
    /// </summary>
    /// <exception cref="ConfigException">planbot.yaml is invalid on either side, the trusted side cannot be read, or it asks for what the server policy does not allow.</exception>
    public static async Task<RunConfig> LoadForPullRequestAsync(IGit git, string checkout, TrustedBase trusted, string? configDir, ServerPolicy? policy, ConfigReadAhead? readAhead, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(git);
        ArgumentNullException.ThrowIfNull(trusted);
        var run = Load(checkout, configDir);
        var relative = Relative(checkout, run.Dir)
            ?? throw new ConfigException($"config-path '{configDir}' is outside the repository: give a directory inside it (for example ci)");

        // a read ahead counts only for its own commit and files (the same config dir): never the policy of another commit
        var ahead = readAhead is not null && readAhead.Relative == relative && readAhead.Checkout == checkout ? readAhead : null;
        var fork = trusted.ForkPoint is { } point && point != trusted.Sha ? point : null;
        // both sides are read at once (two git processes side by side, issue 19); the trusted side's error is the one told
        var trustedRules = ParseAsync(ahead?.Sha == trusted.Sha ? ahead.Read : Show(git, checkout, trusted.Sha, relative, cancellationToken), Paths(relative), trusted.Label);
        var forkRules = fork is null ? null
            : ParseAsync(ahead?.Sha == fork ? ahead.Read : Show(git, checkout, fork, relative, cancellationToken), Paths(relative), $"fork point {fork[..Math.Min(7, fork.Length)]}");
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

    /// <summary>
    /// Starts reading planbot.yaml (or .yml) under the config dir at <paramref name="sha"/> before it is known
    /// whether that commit is the trusted one (issue 19: the event's base usually is). Only the file's text is
    /// read; it is parsed, and its errors named, only if <see cref="LoadForPullRequestAsync(IGit, string, TrustedBase, string?, ServerPolicy?, ConfigReadAhead?, CancellationToken)"/>
    /// takes it. Null: nothing started (not a full SHA, or a config dir outside the checkout, which the load refuses).
    /// </summary>
    /// <param name="verify">Commits (full SHAs) verified in the same git question (<see cref="IGit.ShowFirstFileAsync(string, string, IReadOnlyList{string}, IReadOnlyList{string}, CancellationToken)"/>); not when null is returned.</param>
    public static ConfigReadAhead? ReadAhead(IGit git, string checkout, string? configDir, string sha, IReadOnlyList<string> verify, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(git);
        if (!TrustedBase.IsSha(sha) || Relative(checkout, Dir(checkout, configDir)) is not { } relative)
        {
            return null;
        }

        return new ConfigReadAhead(checkout, relative, sha, Background.Observed(git.ShowFirstFileAsync(checkout, sha, Paths(relative), verify, cancellationToken)));
    }

    /// <summary>The config dir relative to the checkout, with '/'; null when it is outside it.</summary>
    private static string? Relative(string checkout, string dir)
    {
        var relative = Path.GetRelativePath(checkout, dir).Replace('\\', '/');
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? null : relative;
    }

    private static string[] Paths(string relative) => [.. ConfigLoader.FileNames.Select(name => relative == "." ? name : $"{relative}/{name}")];

    /// <summary>planbot.yaml (or .yml) under the config dir at <paramref name="sha"/>, through git: the text only.</summary>
    private static Task<(string Path, string Text)?> Show(IGit git, string checkout, string sha, string relative, CancellationToken cancellationToken) =>
        git.ShowFirstFileAsync(checkout, sha, Paths(relative), cancellationToken);

    /// <summary>The file <paramref name="read"/> found, parsed and named after <paramref name="label"/>; none: the defaults.</summary>
    private static async Task<PlanBotConfig> ParseAsync(Task<(string Path, string Text)?> read, string[] paths, string label)
    {
        (string Path, string Text)? found;
        try
        {
            found = await read.ConfigureAwait(false);
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
