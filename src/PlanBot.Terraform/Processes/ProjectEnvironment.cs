using PlanBot.Core.Plans.Values;

namespace PlanBot.Terraform.Processes;

/// <summary>
/// The environment of terraform (and of every command PlanBot runs for a project): PlanBot's own,
/// minus PlanBot's credentials (<see cref="OwnSecrets.Withheld"/>: the GitHub token, the App key, the
/// webhook secrets, the plan key, the Actions runtime and OIDC request tokens, every PLANBOT_* and
/// INPUT_*), plus what is set explicitly. The code under review decides what terraform reads, so what
/// terraform can read is what a pull request can print. A provider that needs a GitHub token gets its
/// own, passed explicitly (a project's <c>env</c>, or <c>TF_VAR_…</c>): see docs/configuration.md.
/// Withheld twice on purpose: by name from the runner snapshot PlanBot was handed (<see cref="Build"/>),
/// and at spawn from whatever the child would inherit (<see cref="ProcessSpec.Withhold"/>), so a
/// variable set after the snapshot, or a run without one, still never reaches terraform.
/// </summary>
public static class ProjectEnvironment
{
    /// <summary>
    /// The changes to apply on top of the inherited environment: null (removed) for every withheld
    /// variable present in <paramref name="inherited"/>, then <paramref name="explicitly"/> as given
    /// (an explicit value wins: that is how a project is handed a token on purpose).
    /// </summary>
    public static Dictionary<string, string?> Build(IReadOnlyDictionary<string, string?> explicitly, IEnumerable<string> inherited)
    {
        ArgumentNullException.ThrowIfNull(inherited);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in inherited)
        {
            if (OwnSecrets.Withheld(name))
            {
                environment[name] = null;
            }
        }

        foreach (var (name, value) in explicitly)
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>Whether a variable is kept from a project's process: PlanBot's credentials (<see cref="OwnSecrets.Withheld"/>).</summary>
    public static bool Withheld(string name) => OwnSecrets.Withheld(name);
}
