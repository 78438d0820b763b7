using System.Text.RegularExpressions;
using PlanBot.Core.Common;

namespace PlanBot.Core.Config;

/// <summary>
/// Checks terraform.var_files, backend_config, env and extra_args (top level and per project): paths
/// stay inside the repository, env names are variable names, extra args are flags PlanBot does not own.
/// Everything ends up as argv, never through a shell, so no quoting rules apply.
/// </summary>
public static partial class RunSettingsValidator
{
    /// <summary>Flags PlanBot sets itself (or that would move state or the plan elsewhere).</summary>
    private static readonly string[] Reserved = ["-out", "-input", "-detailed-exitcode", "-chdir", "-no-color", "-json", "-state", "-state-out", "-lock-timeout"];

    /// <param name="baseDir">What relative paths are relative to: the repository root (top level) or the project dir.</param>
    public static RunSettings Validate(RawRunSettings raw, string baseDir, string where, Action<int, int, string> fail)
    {
        string? File(Located<string> path, string key)
        {
            var resolved = path.Value.StartsWith('/') ? RepoPath.Normalize(path.Value) : RepoPath.Combine(baseDir, path.Value);
            if (path.Value.Length == 0 || resolved is null || resolved == RepoPath.Root || path.Value.Contains('\0'))
            {
                fail(path.Line, path.Column, $"'{where}.{key}' entry '{path.Value}' must name a file inside the repository (relative to {(baseDir == RepoPath.Root ? "the repository root" : baseDir)}, or '/path' from the root)");
                return null;
            }

            return resolved;
        }

        var varFiles = raw.VarFiles.Select(v => File(v, "var_files")).OfType<string>().ToArray();
        var backend = new List<BackendConfigEntry>();
        foreach (var entry in raw.BackendConfig)
        {
            // key=value when the part before '=' is a plain key (as terraform decides); a file otherwise.
            var eq = entry.Value.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && BackendKey().IsMatch(entry.Value[..eq]))
            {
                backend.Add(new BackendConfigEntry(null, entry.Value));
            }
            else if (File(entry, "backend_config") is { } file)
            {
                backend.Add(new BackendConfigEntry(file, null));
            }
        }

        var env = new List<EnvSetting>();
        foreach (var (name, value, fromRunner) in raw.Env)
        {
            if (!EnvName().IsMatch(name.Value))
            {
                fail(name.Line, name.Column, $"'{where}.env' name '{name.Value}' is not an environment variable name: use letters, digits and '_', not starting with a digit");
            }
            else if (name.Value.StartsWith("PLANBOT_", StringComparison.Ordinal) || name.Value is "TF_IN_AUTOMATION" or "TF_INPUT" or "TF_WORKSPACE" or "TF_PLUGIN_CACHE_DIR")
            {
                fail(name.Line, name.Column, $"'{where}.env' cannot set {name.Value}: PlanBot sets it itself");
            }
            else if (fromRunner && !EnvName().IsMatch(value.Value))
            {
                fail(value.Line, value.Column, $"'{where}.env.{name.Value}.from' must name a variable of the runner, got '{value.Value}'");
            }
            else
            {
                env.Add(new EnvSetting(name.Value, value.Value, fromRunner));
            }
        }

        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (step, args) in raw.ExtraArgs)
        {
            var ok = new List<string>();
            foreach (var arg in args)
            {
                var flag = arg.Value.Split('=')[0];
                if (!arg.Value.StartsWith('-') && (ok.Count == 0 || ok[^1].Contains('=', StringComparison.Ordinal)))
                {
                    fail(arg.Line, arg.Column, $"'{where}.extra_args.{step.Value}' entry '{arg.Value}' is not a flag: write each argument as its own item starting with '-', like [\"-parallelism=5\"] or [\"-var-file\", \"x.tfvars\"]");
                }
                else if (Reserved.Contains(flag) || Reserved.Contains(flag.Replace("--", "-", StringComparison.Ordinal)))
                {
                    fail(arg.Line, arg.Column, $"'{where}.extra_args.{step.Value}' cannot pass {flag}: PlanBot sets it itself");
                }
                else
                {
                    ok.Add(arg.Value);
                }
            }

            extra[step.Value] = ok;
        }

        string? version = null;
        if (raw.Version is { } v)
        {
            if (ExactVersion().IsMatch(v.Value))
            {
                version = v.Value.TrimStart('v');
            }
            else
            {
                fail(v.Line, v.Column, $"'{where}.version' is '{v.Value}': give an exact version like 1.9.8 (ranges are for required_version, which terraform itself checks)");
            }
        }

        return new RunSettings { VarFiles = varFiles, BackendConfig = backend, Env = env, ExtraArgs = extra, Version = version };
    }

    /// <summary>An exact release version (1.9.8, 1.10.0-rc1), the only form a download URL can name.</summary>
    public static bool IsExactVersion(string text) => ExactVersion().IsMatch(text);

    [GeneratedRegex("^v?[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}(-[0-9A-Za-z.]{1,32})?$")]
    private static partial Regex ExactVersion();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*$")]
    private static partial Regex BackendKey();
}
