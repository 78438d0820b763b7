using System.Globalization;
using System.Text.RegularExpressions;
using PlanBot.Core.Common;

namespace PlanBot.Core.Config;

/// <summary>Stage two: checks what the file says and builds the immutable <see cref="PlanBotConfig"/>.</summary>
public static class ConfigValidator
{
    private static readonly string[] Permissions = ["read", "triage", "write", "maintain", "admin"];
    private static readonly string[] LockBackends = ["local", "dynamodb", "azure", "github"];
    private static readonly string[] PlanStores = ["local", "s3", "azure"];
    private static readonly Regex WorkspaceName = new("^[A-Za-z0-9_.-]+$", RegexOptions.CultureInvariant);

    public static (PlanBotConfig Config, IReadOnlyList<ConfigError> Errors) Validate(RawConfig raw)
    {
        var errors = new List<ConfigError>();
        var file = raw.File;
        void Fail(int line, int column, string message) => errors.Add(new ConfigError(file, line, column, message));

        var defaults = PlanBotConfig.Default;
        if (raw.Version is { Value: not 1 } version)
        {
            Fail(version.Line, version.Column, $"unsupported version {version.Value}: this PlanBot reads version 1");
        }

        var terraform = defaults.Terraform;
        if (raw.TerraformBinary is { } binary)
        {
            if (string.IsNullOrWhiteSpace(binary.Value))
            {
                Fail(binary.Line, binary.Column, "'terraform.binary' is empty: use terraform, tofu or a path to either");
            }
            else
            {
                terraform = terraform with { Binary = binary.Value };
            }
        }

        terraform = terraform with
        {
            StepTimeout = Duration(raw.TerraformTimeout, "terraform.timeout", terraform.StepTimeout, Fail),
            LockTimeout = Duration(raw.TerraformLockTimeout, "terraform.lock_timeout", terraform.LockTimeout, Fail),
            Run = RunSettingsValidator.Validate(raw.Run, RepoPath.Root, "terraform", Fail),
        };

        if (raw.TerraformMirror is { } mirror)
        {
            terraform = terraform with { Mirror = Mirror(mirror, Fail) };
        }

        var workflows = WorkflowValidator.Validate(raw.Workflows, Fail);
        foreach (var project in raw.Projects)
        {
            WorkflowValidator.CheckReference(project.Workflow, workflows, Fail);
        }

        var parallelism = Range(raw.Parallelism, "parallelism", 1, 64, defaults.Parallelism, Fail);
        var projects = raw.Projects.Select(p => Project(p, Fail)).OfType<ProjectConfig>().ToList();
        CheckUniqueNames(projects, file, errors);
        CheckUniqueStates(projects, file, errors);

        var approval = new ApprovalSettings
        {
            Destructive = raw.ApprovalDestructive?.Value ?? true,
            FoundationalPaths = Globs(raw.FoundationalPaths, "approval.foundational_paths", Fail),
            FoundationalTypes = Globs(raw.FoundationalTypes, "approval.foundational_types", Fail),
            Users = raw.ApproverUsers.Select(u => u.Value.TrimStart('@')).ToArray(),
            Teams = raw.ApproverTeams.Select(t => t.Value.TrimStart('@')).ToArray(),
            MinPermission = OneOf(raw.ApproverMinPermission, "approval.approvers.min_permission", Permissions, "maintain", Fail),
            AllowSelfApproval = raw.AllowSelfApproval?.Value ?? false,
            Required = Range(raw.ApprovalsRequired, "approval.required", 1, 10, 1, Fail),
        };

        var mode = OneOf(raw.ApplyMode, "apply.mode", ["on_merge", "comment"], "on_merge", Fail);
        var dependents = OneOf(raw.ApplyDependents, "apply.dependents", ["plan", "apply"], "plan", Fail);
        var masks = new List<string>();
        foreach (var mask in raw.CommentsMask)
        {
            try
            {
                var regex = new Regex(mask.Value, RegexOptions.CultureInvariant, RegexProbe.MatchTimeout);
                if (RegexProbe.FindSlowInput(regex) is { } slow)
                {
                    Fail(mask.Line, mask.Column, $"'comments.mask' entry takes longer than {RegexProbe.MatchTimeout.TotalSeconds:0.#} s on a {slow.Length}-character value (catastrophic backtracking): remove nested repetition such as (a+)+ or (a|a)*");
                }
                else
                {
                    masks.Add(mask.Value);
                }
            }
            catch (ArgumentException e)
            {
                Fail(mask.Line, mask.Column, $"'comments.mask' entry is not a valid regular expression: {e.Message}");
            }
        }

        var locksBackend = OneOf(raw.LocksBackend, "locks.backend", LockBackends, "local", Fail);
        var plansStore = OneOf(raw.PlansStore, "plans.store", PlanStores, "local", Fail);
        var config = new PlanBotConfig
        {
            SourceFile = file,
            Version = 1,
            Terraform = terraform,
            Parallelism = parallelism,
            Discovery = new DiscoverySettings
            {
                Enabled = raw.DiscoveryEnabled?.Value ?? true,
                Ignore = Globs(raw.DiscoveryIgnore, "discovery.ignore", Fail, repoPaths: true),
            },
            Projects = projects,
            Approval = approval,
            ApplyMode = mode == "comment" ? ApplyMode.Comment : ApplyMode.OnMerge,
            ApplyDependents = dependents == "apply" ? ApplyDependents.Apply : ApplyDependents.Plan,
            LocksBackend = locksBackend,
            LocksTtl = Duration(raw.LocksTtl, "locks.ttl", defaults.LocksTtl, Fail),
            PlansStore = plansStore,
            Backends = Backends(raw, locksBackend, plansStore, Fail),
            LocksBackendChosen = raw.LocksBackend is not null,
            Workflows = workflows,
            Commands = new CommandSettings
            {
                Plan = OneOf(Command(raw, "plan"), "commands.plan.min_permission", Permissions, "write", Fail),
                Unlock = OneOf(Command(raw, "unlock"), "commands.unlock.min_permission", Permissions, "write", Fail),
                Apply = Command(raw, "apply") is { } apply ? OneOf(apply, "commands.apply.min_permission", Permissions, "maintain", Fail) : null,
            },
            Autoplan = new AutoplanSettings { Modules = raw.AutoplanModules?.Value ?? true },
            PullRequests = new PullRequestSettings { PlanDrafts = raw.PlanDrafts?.Value ?? false, PlanForks = raw.PlanForks?.Value ?? false },
            Comments = new CommentSettings
            {
                MaxChars = Range(raw.CommentsMaxChars, "comments.max_chars", 1_000, 65_536, 65_000, Fail),
                MaxParts = Range(raw.CommentsMaxParts, "comments.max_parts", 1, 100, 5, Fail),
                Mask = masks,
            },
        };
        return (config, errors);
    }

    /// <summary>
    /// terraform.mirror: https (or file:// for a mirror on disk). Plain http is refused: whoever sits on
    /// the path could replace the zip and its SHA256SUMS together.
    /// </summary>
    private static string? Mirror(Located<string> mirror, Action<int, int, string> fail)
    {
        if (Uri.TryCreate(mirror.Value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeFile) && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.UserInfo))
        {
            return mirror.Value.TrimEnd('/');
        }

        fail(mirror.Line, mirror.Column, $"'terraform.mirror' is '{mirror.Value}': give an https:// (or file://) base URL laid out like https://releases.hashicorp.com, without credentials or a query");
        return null;
    }

    /// <summary>The chosen backends' sections, with their required keys checked.</summary>
    private static Dictionary<string, BackendSettings> Backends(RawConfig raw, string locks, string plans, Action<int, int, string> fail)
    {
        var result = raw.Backends.ToDictionary(kv => kv.Key, kv => new BackendSettings(kv.Value.ToDictionary(v => v.Key, v => v.Value.Value, StringComparer.Ordinal)), StringComparer.Ordinal);
        foreach (var (section, line) in new[] { ($"locks.{locks}", raw.LocksBackend), ($"plans.{plans}", raw.PlansStore) })
        {
            var missing = BackendKeys.Required(section).Where(k => !result.TryGetValue(section, out var s) || string.IsNullOrEmpty(s[k])).ToArray();
            if (missing.Length > 0)
            {
                fail(line?.Line ?? 1, line?.Column ?? 1, $"'{section}' needs {string.Join(" and ", missing.Select(k => $"'{k}'"))}; add e.g. `{section.Split('.')[0]}: {{ {section.Split('.')[1]}: {{ {string.Join(", ", missing.Select(k => k + ": …"))} }} }}`");
            }
        }

        return result;
    }

    private static ProjectConfig? Project(RawProject raw, Action<int, int, string> fail)
    {
        if (raw.Dir is not { } dir)
        {
            fail(raw.Line, raw.Column, "a project needs 'dir': the root module's directory relative to the repository root");
            return null;
        }

        var normalized = RepoPath.Combine(RepoPath.Root, dir.Value);
        if (normalized is null || Path.IsPathRooted(dir.Value))
        {
            fail(dir.Line, dir.Column, $"project dir '{dir.Value}' must be relative and stay inside the repository");
            return null;
        }

        var workspace = raw.Workspace?.Value ?? "default";
        if (!WorkspaceName.IsMatch(workspace))
        {
            fail(raw.Workspace!.Value.Line, raw.Workspace.Value.Column, $"workspace '{workspace}' may hold only letters, digits, '-', '_' and '.'");
        }

        if (raw.Name is { } name && (name.Value.Length == 0 || name.Value.Any(char.IsWhiteSpace)))
        {
            fail(name.Line, name.Column, $"project name '{name.Value}' must be non-empty and hold no spaces");
        }

        // when_modified is written relative to the project dir (as in Atlantis) and resolved here.
        var when = new List<Glob>();
        foreach (var pattern in raw.WhenModified)
        {
            var rooted = pattern.Value.StartsWith('/')
                ? RepoPath.Normalize(pattern.Value)
                : RepoPath.Combine(normalized, pattern.Value);
            if (rooted is null)
            {
                fail(pattern.Line, pattern.Column, $"when_modified pattern '{pattern.Value}' leaves the repository");
            }
            else if (!Glob.TryParse(rooted, out var glob, out var error))
            {
                fail(pattern.Line, pattern.Column, $"bad glob '{pattern.Value}' in when_modified: {error}");
            }
            else
            {
                when.Add(glob!);
            }
        }

        return new ProjectConfig
        {
            Name = raw.Name?.Value,
            Dir = normalized,
            Workspace = workspace,
            DependsOn = raw.DependsOn.Select(d => d.Value).ToArray(),
            WhenModified = when,
            Foundational = raw.Foundational?.Value ?? false,
            AutoplanModules = raw.AutoplanModules?.Value,
            Workflow = raw.Workflow?.Value,
            Run = RunSettingsValidator.Validate(raw.Run, normalized, "projects[].terraform", fail),
            Line = raw.Line,
        };
    }

    private static void CheckUniqueNames(List<ProjectConfig> projects, string file, List<ConfigError> errors)
    {
        foreach (var group in projects.GroupBy(p => p.Name ?? Naming.ProjectName(p.Dir, p.Workspace)).Where(g => g.Count() > 1))
        {
            var lines = string.Join(", ", group.Select(p => p.Line));
            errors.Add(new ConfigError(file, group.Last().Line, 1,
                $"project name '{group.Key}' is used by the projects on lines {lines}: give each a distinct 'name'"));
        }
    }

    /// <summary>
    /// Two projects on one dir and workspace would plan, lock and apply one state twice, unless their
    /// backend configuration differs (Atlantis' one-dir-per-environment layout: `-backend-config=<env>.hcl`
    /// points each at its own state).
    /// </summary>
    private static void CheckUniqueStates(List<ProjectConfig> projects, string file, List<ConfigError> errors)
    {
        static string Backend(ProjectConfig p) => string.Join("\n", p.Run.BackendConfig.Select(b => b.File + "|" + b.KeyValue)
            .Concat(p.Run.ExtraArgs.TryGetValue("init", out var init) ? init : []));
        foreach (var group in projects.GroupBy(p => (p.Dir, p.Workspace, Backend: Backend(p))).Where(g => g.Count() > 1))
        {
            var lines = string.Join(" and ", group.Select(p => p.Line));
            errors.Add(new ConfigError(file, group.Last().Line, 1,
                $"the projects on lines {lines} both plan dir '{group.Key.Dir}' in workspace '{group.Key.Workspace}' (one state, planned twice): remove one, or give it another 'workspace' or 'terraform.backend_config'"));
        }
    }

    private static List<Glob> Globs(IReadOnlyList<Located<string>> patterns, string key, Action<int, int, string> fail, bool repoPaths = false)
    {
        var globs = new List<Glob>();
        foreach (var pattern in patterns)
        {
            if (repoPaths ? Glob.TryParseRepoPath(pattern.Value, out var glob, out var error) : Glob.TryParse(pattern.Value, out glob, out error))
            {
                globs.Add(glob!);
            }
            else
            {
                fail(pattern.Line, pattern.Column, $"bad glob '{pattern.Value}' in '{key}': {error}");
            }
        }

        return globs;
    }

    private static int Range(Located<int>? value, string key, int min, int max, int fallback, Action<int, int, string> fail)
    {
        if (value is not { } v)
        {
            return fallback;
        }

        if (v.Value < min || v.Value > max)
        {
            fail(v.Line, v.Column, $"'{key}' is {v.Value}: use a number from {min} to {max}");
            return fallback;
        }

        return v.Value;
    }

    private static Located<string>? Command(RawConfig raw, string verb) => raw.CommandMinPermissions.TryGetValue(verb, out var value) ? value : null;

    private static string OneOf(Located<string>? value, string key, string[] allowed, string fallback, Action<int, int, string> fail)
    {
        if (value is not { } v)
        {
            return fallback;
        }

        if (!allowed.Contains(v.Value))
        {
            fail(v.Line, v.Column, $"'{key}' is '{v.Value}': use one of {string.Join(", ", allowed)}");
            return fallback;
        }

        return v.Value;
    }

    private static TimeSpan Duration(Located<string>? value, string key, TimeSpan fallback, Action<int, int, string> fail)
    {
        if (value is not { } v)
        {
            return fallback;
        }

        if (TryParseDuration(v.Value, out var duration))
        {
            return duration;
        }

        fail(v.Line, v.Column, $"'{key}' is '{v.Value}': write a duration like 90s, 30m, 2h or 7d");
        return fallback;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length < 2 || !double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        duration = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => TimeSpan.Zero,
        };
        return duration > TimeSpan.Zero;
    }
}
