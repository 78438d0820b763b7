using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PlanBot.Core.Config;

/// <summary>
/// Stage one: reads planbot.yaml into <see cref="RawConfig"/>. Knows every key, so unknown keys and
/// wrong types are reported with their line instead of being silently ignored.
/// </summary>
public sealed partial class ConfigReader
{
    private readonly string _file;
    private readonly bool _serverPolicy;
    private readonly List<ConfigError> _errors = [];

    private ConfigReader(string file, bool serverPolicy)
    {
        _file = file;
        _serverPolicy = serverPolicy;
    }

    /// <param name="serverPolicy">The operator's server policy, which alone may hold <c>allowed_repositories</c>.</param>
    public static (RawConfig Raw, IReadOnlyList<ConfigError> Errors) Read(string file, string text, bool serverPolicy = false)
    {
        var reader = new ConfigReader(file, serverPolicy);
        var raw = reader.ReadDocument(text);
        return (raw, reader._errors);
    }

    private RawConfig ReadDocument(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var message = e.InnerException?.Message ?? e.Message;
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            _errors.Add(new ConfigError(_file, (int)e.Start.Line, (int)e.Start.Column,
                $"invalid YAML: {(cut > 0 ? message[(cut + 3)..] : message)} (check indentation and quoting)"));
            return new RawConfig { File = _file };
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return new RawConfig { File = _file };
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            Error(second, "planbot.yaml must hold one YAML document: remove the '---' separator and everything after it");
        }

        var raw = new RawConfig { File = _file };
        Mapping(stream.Documents[0].RootNode, "the top level", new()
        {
            ["version"] = n => raw = raw with { Version = Int(n, "version") },
            ["terraform"] = n => Mapping(n, "terraform", new()
            {
                ["binary"] = m => raw = raw with { TerraformBinary = Str(m, "terraform.binary") },
                ["timeout"] = m => raw = raw with { TerraformTimeout = Str(m, "terraform.timeout") },
                ["lock_timeout"] = m => raw = raw with { TerraformLockTimeout = Str(m, "terraform.lock_timeout") },
                ["var_files"] = m => raw = raw with { Run = raw.Run with { VarFiles = StrList(m, "terraform.var_files") } },
                ["backend_config"] = m => raw = raw with { Run = raw.Run with { BackendConfig = StrList(m, "terraform.backend_config") } },
                ["env"] = m => raw = raw with { Run = raw.Run with { Env = Env(m, "terraform.env") } },
                ["extra_args"] = m => raw = raw with { Run = raw.Run with { ExtraArgs = ExtraArgs(m, "terraform.extra_args") } },
                ["version"] = m => raw = raw with { Run = raw.Run with { Version = Str(m, "terraform.version") } },
                ["mirror"] = m => raw = raw with { TerraformMirror = Str(m, "terraform.mirror") },
            }),
            ["parallelism"] = n => raw = raw with { Parallelism = Int(n, "parallelism") },
            ["discovery"] = n => Mapping(n, "discovery", new()
            {
                ["enabled"] = m => raw = raw with { DiscoveryEnabled = Bool(m, "discovery.enabled") },
                ["ignore"] = m => raw = raw with { DiscoveryIgnore = StrList(m, "discovery.ignore") },
            }),
            ["projects"] = n => raw = raw with { Projects = Projects(n) },
            ["approval"] = n => Mapping(n, "approval", new()
            {
                ["destructive"] = m => raw = raw with { ApprovalDestructive = Bool(m, "approval.destructive") },
                ["foundational_paths"] = m => raw = raw with { FoundationalPaths = StrList(m, "approval.foundational_paths") },
                ["foundational_types"] = m => raw = raw with { FoundationalTypes = StrList(m, "approval.foundational_types") },
                ["approvers"] = m => Mapping(m, "approval.approvers", new()
                {
                    ["users"] = a => raw = raw with { ApproverUsers = StrList(a, "approval.approvers.users") },
                    ["teams"] = a => raw = raw with { ApproverTeams = StrList(a, "approval.approvers.teams") },
                    ["min_permission"] = a => raw = raw with { ApproverMinPermission = Str(a, "approval.approvers.min_permission") },
                }),
                ["allow_self_approval"] = m => raw = raw with { AllowSelfApproval = Bool(m, "approval.allow_self_approval") },
                ["required"] = m => raw = raw with { ApprovalsRequired = Int(m, "approval.required") },
            }),
            ["apply"] = n => Mapping(n, "apply", new()
            {
                ["mode"] = m => raw = raw with { ApplyMode = Str(m, "apply.mode") },
                ["dependents"] = m => raw = raw with { ApplyDependents = Str(m, "apply.dependents") },
            }),
            ["locks"] = n => Mapping(n, "locks", new()
            {
                ["backend"] = m => raw = raw with { LocksBackend = Str(m, "locks.backend") },
                ["ttl"] = m => raw = raw with { LocksTtl = Str(m, "locks.ttl") },
                ["dynamodb"] = m => raw = raw with { Backends = With(raw.Backends, "locks.dynamodb", Settings(m, "locks.dynamodb", BackendKeys.DynamoDb)) },
                ["azure"] = m => raw = raw with { Backends = With(raw.Backends, "locks.azure", Settings(m, "locks.azure", BackendKeys.Azure)) },
            }),
            ["plans"] = n => Mapping(n, "plans", new()
            {
                ["store"] = m => raw = raw with { PlansStore = Str(m, "plans.store") },
                ["s3"] = m => raw = raw with { Backends = With(raw.Backends, "plans.s3", Settings(m, "plans.s3", BackendKeys.S3)) },
                ["azure"] = m => raw = raw with { Backends = With(raw.Backends, "plans.azure", Settings(m, "plans.azure", BackendKeys.Azure)) },
            }),
            ["pull_requests"] = n => Mapping(n, "pull_requests", new()
            {
                ["plan_drafts"] = m => raw = raw with { PlanDrafts = Bool(m, "pull_requests.plan_drafts") },
                ["plan_forks"] = m => raw = raw with { PlanForks = Bool(m, "pull_requests.plan_forks") },
            }),
            ["commands"] = n => Mapping(n, "commands", CommandSettings.Verbs.ToDictionary(verb => verb, verb => (Action<YamlNode>)(m => Mapping(m, $"commands.{verb}", new()
            {
                ["min_permission"] = v =>
                {
                    if (Str(v, $"commands.{verb}.min_permission") is { } value)
                    {
                        raw = raw with { CommandMinPermissions = new Dictionary<string, Located<string>>(raw.CommandMinPermissions) { [verb] = value } };
                    }
                },
            })))),
            ["comments"] = n => Mapping(n, "comments", new()
            {
                ["max_chars"] = m => raw = raw with { CommentsMaxChars = Int(m, "comments.max_chars") },
                ["max_parts"] = m => raw = raw with { CommentsMaxParts = Int(m, "comments.max_parts") },
                ["mask"] = m => raw = raw with { CommentsMask = StrList(m, "comments.mask") },
            }),
            ["autoplan"] = n => Mapping(n, "autoplan", new()
            {
                ["modules"] = m => raw = raw with { AutoplanModules = Bool(m, "autoplan.modules") },
            }),
            ["workflows"] = n => raw = raw with { Workflows = Workflows(n) },
            [AllowedRepositories.Key] = n =>
            {
                if (_serverPolicy)
                {
                    raw = raw with { AllowedRepositories = StrList(n, AllowedRepositories.Key) };
                }
                else
                {
                    // which repositories PlanBot serves is the operator's choice: a repository cannot list itself in
                    Error(n, $"'{AllowedRepositories.Key}' belongs in the server policy (planbot serve --policy, PLANBOT_POLICY_FILE), not in a repository's planbot.yaml: remove it");
                }
            },
        });
        return raw;
    }

    private static Dictionary<string, IReadOnlyDictionary<string, Located<string>>> With(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, Located<string>>> backends, string name, IReadOnlyDictionary<string, Located<string>> settings) =>
        new(backends) { [name] = settings };

    /// <summary>A backend's settings: a mapping of known string keys.</summary>
    private Dictionary<string, Located<string>> Settings(YamlNode node, string where, string[] keys)
    {
        var settings = new Dictionary<string, Located<string>>(StringComparer.Ordinal);
        Mapping(node, where, keys.ToDictionary(k => k, k => (Action<YamlNode>)(m =>
        {
            if (Str(m, $"{where}.{k}") is { } value)
            {
                settings[k] = value;
            }
        })));
        return settings;
    }

    private List<RawProject> Projects(YamlNode node)
    {
        var projects = new List<RawProject>();
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, "'projects' must be a list of projects, each starting with '- dir: …'");
            return projects;
        }

        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var item = sequence.Children[i];
            var where = $"projects[{i}]";
            var project = new RawProject { Line = (int)item.Start.Line, Column = (int)item.Start.Column };
            Mapping(item, where, new()
            {
                ["name"] = m => project = project with { Name = Str(m, where + ".name") },
                ["dir"] = m => project = project with { Dir = Str(m, where + ".dir") },
                ["workspace"] = m => project = project with { Workspace = Str(m, where + ".workspace") },
                ["depends_on"] = m => project = project with { DependsOn = StrList(m, where + ".depends_on") },
                ["when_modified"] = m => project = project with { WhenModified = StrList(m, where + ".when_modified") },
                ["foundational"] = m => project = project with { Foundational = Bool(m, where + ".foundational") },
                ["terraform"] = m => project = project with { Run = RunSettings(m, where + ".terraform") },
                ["workflow"] = m => project = project with { Workflow = Str(m, where + ".workflow") },
                ["autoplan"] = m => Mapping(m, where + ".autoplan", new()
                {
                    ["modules"] = a => project = project with { AutoplanModules = Bool(a, where + ".autoplan.modules") },
                }),
            });
            projects.Add(project);
        }

        return projects;
    }

    private RawRunSettings RunSettings(YamlNode node, string where)
    {
        var run = new RawRunSettings();
        Mapping(node, where, new()
        {
            ["var_files"] = m => run = run with { VarFiles = StrList(m, where + ".var_files") },
            ["backend_config"] = m => run = run with { BackendConfig = StrList(m, where + ".backend_config") },
            ["env"] = m => run = run with { Env = Env(m, where + ".env") },
            ["extra_args"] = m => run = run with { ExtraArgs = ExtraArgs(m, where + ".extra_args") },
            ["version"] = m => run = run with { Version = Str(m, where + ".version") },
        });
        return run;
    }

    /// <summary>env: <c>NAME: value</c>, or <c>NAME: { from: RUNNER_NAME }</c> to take the runner's variable.</summary>
    private List<(Located<string>, Located<string>, bool)> Env(YamlNode node, string where)
    {
        var env = new List<(Located<string>, Located<string>, bool)>();
        if (node is not YamlMappingNode mapping)
        {
            Error(node, $"'{where}' must be a mapping of NAME: value (or NAME: {{ from: RUNNER_VARIABLE }})");
            return env;
        }

        foreach (var (key, value) in mapping.Children)
        {
            if (Str(key, where) is not { } name)
            {
                continue;
            }

            if (value is YamlMappingNode from)
            {
                Mapping(from, $"{where}.{name.Value}", new()
                {
                    ["from"] = f =>
                    {
                        if (Str(f, $"{where}.{name.Value}.from") is { } source)
                        {
                            env.Add((name, source, true));
                        }
                    },
                });
            }
            else if (Str(value, $"{where}.{name.Value}") is { } literal)
            {
                env.Add((name, literal, false));
            }
        }

        return env;
    }

    private List<(Located<string>, IReadOnlyList<Located<string>>)> ExtraArgs(YamlNode node, string where)
    {
        var args = new List<(Located<string>, IReadOnlyList<Located<string>>)>();
        Mapping(node, where, new[] { "init", "plan", "apply" }.ToDictionary(step => step, step => (Action<YamlNode>)(m =>
            args.Add((new Located<string>(step, (int)m.Start.Line, (int)m.Start.Column), StrList(m, $"{where}.{step}"))))));
        return args;
    }

    private void Error(YamlNode node, string message) =>
        _errors.Add(new ConfigError(_file, (int)node.Start.Line, (int)node.Start.Column, message));

    private void Mapping(YamlNode node, string where, Dictionary<string, Action<YamlNode>> keys)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, $"{where} must be a mapping of 'key: value' lines; expected keys: {string.Join(", ", keys.Keys)}");
            return;
        }

        var seen = new HashSet<string>();
        var listed = keys.Keys.Where(k => _serverPolicy || k != AllowedRepositories.Key).ToList(); // a repository is not told of a key it may not write
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!seen.Add(key))
            {
                Error(keyNode, $"duplicate key '{key}' in {where}: keep only one");
                continue;
            }

            if (keys.TryGetValue(key, out var read))
            {
                read(valueNode);
                continue;
            }

            var suggestion = Suggest(key, listed);
            Error(keyNode, $"unknown key '{key}' in {where}" +
                           (suggestion is null ? "" : $" (did you mean '{suggestion}'?)") +
                           $"; allowed keys: {string.Join(", ", listed)}");
        }
    }

    private Located<string>? Str(YamlNode node, string key)
    {
        if (node is YamlScalarNode { Value: { } value })
        {
            return new Located<string>(value, (int)node.Start.Line, (int)node.Start.Column);
        }

        Error(node, $"'{key}' must be a single text value, not a {Kind(node)}");
        return null;
    }

    private Located<int>? Int(YamlNode node, string key)
    {
        if (node is YamlScalarNode { Value: { } value } &&
            int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return new Located<int>(number, (int)node.Start.Line, (int)node.Start.Column);
        }

        Error(node, $"'{key}' must be a whole number, got {Show(node)}");
        return null;
    }

    private Located<bool>? Bool(YamlNode node, string key)
    {
        if (node is YamlScalarNode { Value: { } value } && bool.TryParse(value, out var flag))
        {
            return new Located<bool>(flag, (int)node.Start.Line, (int)node.Start.Column);
        }

        Error(node, $"'{key}' must be true or false, got {Show(node)}");
        return null;
    }

    private List<Located<string>> StrList(YamlNode node, string key)
    {
        // A single string is accepted as a one-item list, as users of Atlantis' when_modified expect.
        if (node is YamlScalarNode)
        {
            return Str(node, key) is { } one ? [one] : [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(node, $"'{key}' must be a list of text values, not a {Kind(node)}");
            return [];
        }

        var items = new List<Located<string>>();
        foreach (var child in sequence.Children)
        {
            if (Str(child, key + "[]") is { } item)
            {
                items.Add(item);
            }
        }

        return items;
    }

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "value",
    };

    private static string Show(YamlNode node) => node is YamlScalarNode s ? $"'{s.Value}'" : $"a {Kind(node)}";

    private static string? Suggest(string key, IEnumerable<string> known) =>
        known.Select(k => (k, d: Distance(key, k))).Where(x => x.d <= Math.Max(2, x.k.Length / 3)).OrderBy(x => x.d).Select(x => x.k).FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
