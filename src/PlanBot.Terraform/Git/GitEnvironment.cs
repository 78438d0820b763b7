namespace PlanBot.Terraform.Git;

/// <summary>
/// What PlanBot's git inherits from PlanBot's own environment: every <c>GIT_*</c> variable is withheld
/// except the few that only configure how a fetch reaches and authenticates to a remote (the list below).
/// A withheld variable could make git answer about another repository than the one PlanBot names
/// (<c>GIT_DIR</c>, <c>GIT_WORK_TREE</c>, <c>GIT_INDEX_FILE</c>, <c>GIT_OBJECT_DIRECTORY</c>,
/// <c>GIT_ALTERNATE_OBJECT_DIRECTORIES</c>, <c>GIT_COMMON_DIR</c>, <c>GIT_NAMESPACE</c>,
/// <c>GIT_CEILING_DIRECTORIES</c>; and WorktreeCheckout reads <c>.git/HEAD</c> itself, which would then
/// disagree with git), change its configuration (<c>GIT_CONFIG_PARAMETERS</c>, <c>GIT_CONFIG_COUNT</c> /
/// <c>_KEY_n</c> / <c>_VALUE_n</c>, <c>GIT_CONFIG_GLOBAL</c>, <c>GIT_CONFIG_SYSTEM</c>: a <c>core.hooksPath</c>
/// or <c>core.fsmonitor</c> runs a program), run another program (<c>GIT_EXTERNAL_DIFF</c>,
/// <c>GIT_EXEC_PATH</c>, <c>GIT_TEMPLATE_DIR</c>'s hooks, <c>GIT_PROXY_COMMAND</c>, <c>GIT_EDITOR</c>, <c>GIT_PAGER</c>),
/// change what git prints (<c>GIT_DIFF_OPTS</c>), or write the
/// installation token PlanBot passes in git's environment (<see cref="Config"/>: <c>http.extraHeader</c>) somewhere
/// (<c>GIT_TRACE*</c>, <c>GIT_CURL_VERBOSE</c>); <c>GIT_SSL_NO_VERIFY</c> would send that token over a TLS
/// connection nobody checked. A deny-list would let through whatever git adds next, so this is an allow-list.
/// The <c>GIT_CONFIG_*</c> PlanBot sets itself for one command are explicit values, which win over the withholding.
/// </summary>
public static class GitEnvironment
{
    /// <summary>
    /// Kept: how the operator's machine reaches and authenticates to a remote. None changes which repository,
    /// objects, index or configuration git reads; <c>GIT_ASKPASS</c> and <c>GIT_SSH*</c> do run a program, but
    /// only for a fetch's credentials and one the operator chose, with the trust PATH already has (it chooses
    /// the git binary itself). <c>GIT_TERMINAL_PROMPT</c> is set to 0 on every git PlanBot runs regardless.
    /// <c>GIT_ALLOW_PROTOCOL</c> and <c>GIT_PROTOCOL_FROM_USER</c> only restrict.
    /// </summary>
    private static readonly HashSet<string> Kept = new(StringComparer.Ordinal)
    {
        "GIT_ASKPASS",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSH_VARIANT",
        "GIT_TERMINAL_PROMPT",
        "GIT_SSL_CAINFO",
        "GIT_SSL_CAPATH",
        "GIT_SSL_CERT",
        "GIT_SSL_KEY",
        "GIT_SSL_CERT_PASSWORD_PROTECTED",
        "GIT_HTTP_USER_AGENT",
        "GIT_HTTP_LOW_SPEED_LIMIT",
        "GIT_HTTP_LOW_SPEED_TIME",
        "GIT_HTTP_PROXY_AUTHMETHOD",
        "GIT_ALLOW_PROTOCOL",
        "GIT_PROTOCOL_FROM_USER",
    };

    /// <summary>Whether git must not inherit <paramref name="name"/> (any <c>GIT_*</c> not in the allow-list; case-sensitive, as git reads it).</summary>
    public static bool Withheld(string name) =>
        name.StartsWith("GIT_", StringComparison.Ordinal) && !Kept.Contains(name);

    /// <summary>
    /// Makes <paramref name="child"/> (the environment block a git is started with) what git starts
    /// with: <paramref name="inherited"/> instead of this process's environment when given, minus the withheld names,
    /// plus the settings every git PlanBot runs gets (no prompt, untranslated messages: they are parsed).
    /// </summary>
    public static void Apply(IDictionary<string, string?> child, IReadOnlyDictionary<string, string>? inherited)
    {
        ArgumentNullException.ThrowIfNull(child);
        if (inherited is not null)
        {
            child.Clear();
            foreach (var (key, value) in inherited)
            {
                child[key] = value;
            }
        }

        foreach (var key in child.Keys.Where(Withheld).ToArray())
        {
            child.Remove(key);
        }

        foreach (var (key, value) in Settings)
        {
            child[key] = value;
        }
    }

    /// <summary>
    /// Configuration for one git command passed in its environment (<c>GIT_CONFIG_COUNT</c>, <c>GIT_CONFIG_KEY_n</c>,
    /// <c>GIT_CONFIG_VALUE_n</c>), as <c>-c key=value</c> would pass it on the command line. For a secret: a
    /// process's command line is readable by every local user (<c>ps</c>, <c>/proc/PID/cmdline</c>), its environment
    /// only by the same user. git reads these from 2.31 (<see cref="ConfigEnvironmentSince"/>); an older git ignores them.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Config(params (string Key, string Value)[] settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["GIT_CONFIG_COUNT"] = settings.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        for (var i = 0; i < settings.Length; i++)
        {
            var (key, value) = settings[i];
            if (key.Length == 0 || key.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"git configuration {i} has an empty key or a NUL character, which an environment variable cannot hold", nameof(settings));
            }

            environment[$"GIT_CONFIG_KEY_{i}"] = key;
            environment[$"GIT_CONFIG_VALUE_{i}"] = value;
        }

        return environment;
    }

    /// <summary>The first git that reads <see cref="Config"/>'s variables (2.31.0, March 2021).</summary>
    public static Version ConfigEnvironmentSince { get; } = new(2, 31);

    /// <summary>The version in <c>git --version</c>'s answer (<c>git version 2.39.5</c>, <c>… 2.30.1 (Apple Git-130)</c>, <c>… 2.44.0.windows.1</c>); null when it names none.</summary>
    public static Version? ParseVersion(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        const string prefix = "git version ";
        var text = output.Trim();
        if (!text.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = text[prefix.Length..].Split('.', ' ');
        return parts.Length >= 2 && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minor)
            ? new Version(major, minor)
            : null;
    }

    /// <summary>Set on every git PlanBot runs: never wait for a password on a terminal; messages in English (some are parsed).</summary>
    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["LC_ALL"] = "C",
    };
}
