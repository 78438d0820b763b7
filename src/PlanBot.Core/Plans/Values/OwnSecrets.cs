namespace PlanBot.Core.Plans.Values;

/// <summary>
/// PlanBot's own credentials, by the environment variable names they arrive in. Two uses:
/// <see cref="Withheld"/> says which variables a project's terraform must not inherit (a pull request
/// controls what terraform reads: <c>file("/proc/self/environ")</c>, a symlinked <c>.tf</c>, an
/// external data source), and <see cref="Scrubber"/> masks their values, and those of any variable
/// named like a credential, in every output PlanBot writes, as the last line of defence.
/// </summary>
public static class OwnSecrets
{
    /// <summary>Never terraform's business: PlanBot's GitHub token and the Actions runtime's own tokens.</summary>
    private static readonly HashSet<string> WithheldNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN",
        "ACTIONS_RUNTIME_TOKEN", "ACTIONS_RUNTIME_URL", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL",
    };

    /// <summary>
    /// Every PLANBOT_* setting (App key, webhook secrets, plan key, and whatever is added later) and
    /// every INPUT_* (a Docker action gets its inputs, the token among them, as INPUT_TOKEN, INPUT_PLAN-KEY, …).
    /// </summary>
    private static readonly string[] WithheldPrefixes = ["PLANBOT_", "INPUT_"];

    /// <summary>Parts of a variable name that make its value a credential worth masking wherever it shows.</summary>
    private static readonly string[] CredentialWords = ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PRIVATE_KEY", "PRIVATE-KEY", "PLAN_KEY", "PLAN-KEY", "CREDENTIAL", "ACCESS_KEY", "API_KEY", "STORAGE_KEY"];

    /// <summary>Shorter values are not masked: masking every "main" or "8080" would hide the output, not a secret.</summary>
    public const int MinLength = 8;

    /// <summary>Whether a variable is kept from the environment of terraform and every other command run for a project.</summary>
    public static bool Withheld(string name) =>
        WithheldNames.Contains(name) || WithheldPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether a variable's value is masked in PlanBot's output: PlanBot's own secrets and anything named like a credential.</summary>
    public static bool IsSecret(string name) =>
        WithheldNames.Contains(name) || CredentialWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The values to mask from an environment. A comma-separated PLANBOT_WEBHOOK_SECRET (two secrets
    /// while rotating) counts as each of its parts too.
    /// </summary>
    public static IReadOnlyList<string> Values(IEnumerable<KeyValuePair<string, string?>> environment)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in environment)
        {
            if (value is null || !IsSecret(name))
            {
                continue;
            }

            foreach (var part in (string[])[value, value.Trim(), .. value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)])
            {
                if (part.Length >= MinLength)
                {
                    values.Add(part);
                }
            }
        }

        return [.. values.OrderBy(v => v, StringComparer.Ordinal)];
    }

    /// <summary>A scrubber masking <paramref name="environment"/>'s secrets in every encoding (see <see cref="SecretScrubber.Encodings"/>).</summary>
    public static SecretScrubber Scrubber(IEnumerable<KeyValuePair<string, string?>> environment) => new(Values(environment), []);

    /// <summary>The current process's environment, as <see cref="Values"/> and <see cref="Scrubber"/> take it.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Of(System.Collections.IDictionary variables)
    {
        foreach (System.Collections.DictionaryEntry entry in variables)
        {
            yield return new((string)entry.Key, entry.Value as string);
        }
    }
}
