using System.Text;
using System.Text.RegularExpressions;
using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Testing;
using YamlDotNet.RepresentationModel;

namespace PlanBot.Core.Tests.Discovery;

/// <summary>
/// Other tools' own expectations about which projects a change touches, read in place from
/// ../shared/fixtures/repos/*/_expectations and turned into rows: a tree, a planbot.yaml translating
/// that tool's setup, the changed files, and the projects that tool expects (as sorted "dir@workspace"
/// or names). Rows PlanBot cannot take by design are listed in <see cref="NotApplicable"/> with why.
/// </summary>
public static partial class FixtureExpectations
{
    public sealed record Row(string Source, string Name, Func<(string Expected, string Actual)> Evaluate);

    /// <summary>Rows of the fixtures that are about other things (labels, server flags, templates), by source.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotApplicable = new Dictionary<string, string>
    {
        ["atlantis e2e: DisableAutoplan cases"] = "a server flag that turns autoplan off; PlanBot plans on every PR event",
        ["atlantis e2e: cases whose repo is not in the fixtures"] = "only 6 of the e2e repos are copied",
        ["tfaction list-targets: label, tfmigrate, isApply, template_dir, test_workflow, rejects cases"] = "tfaction's labels and job types select jobs, not affected dirs",
    };

    public static IReadOnlyList<Row> All()
    {
        if (Fixtures.Root is null)
        {
            return [];
        }

        return [.. AtlantisModuleDeps(), .. AtlantisE2e(), .. TfactionListTargets(), .. TfactionModuleCallers()];
    }

    // ---------------------------------------------------------------- Atlantis: module dependants

    /// <summary>Test_findModuleDependants: projects are the dirs holding init.tf (autoplanModuleDependants "**/init.tf").</summary>
    private static IEnumerable<Row> AtlantisModuleDeps()
    {
        var want = new (string Repo, string Module, string[] Dependants)[]
        {
            ("repoA", "modules/bar", ["baz", "qux/quxx"]),
            ("repoA", "modules/foo", ["qux/quxx"]),
            ("repoB", "modules/bar", ["dev/quxx", "prod/quxx"]),
            ("repoB", "modules/foo", ["dev/quxx", "prod/quxx"]),
            ("repoC", "self", ["self"]),
            ("repoD", "a", ["a", "b"]),
            ("repoD", "b", ["a", "b"]),
        };

        // Keep the table honest: every expectation above must be in the source file.
        var source = File.ReadAllText(Fixtures.Path("repos", "atlantis-module-deps", "_expectations", "modules_test.go.txt"));
        foreach (var (repo, module, dependants) in want)
        {
            source.ShouldContain($"\"{module}\": {{{string.Join(", ", dependants.Select(d => $"\"{d}\""))}}}");
            yield return new Row("atlantis", $"module-deps {repo} {module}", () =>
            {
                var tree = MemoryFileTree.FromDirectory(Fixtures.Path("repos", "atlantis-module-deps", repo));
                var yaml = new StringBuilder("discovery: { enabled: false }\nprojects:\n");
                foreach (var init in tree.ListFiles().Where(f => f == "init.tf" || f.EndsWith("/init.tf", StringComparison.Ordinal)))
                {
                    yaml.Append($"  - dir: {RepoPath.DirectoryOf(init)}\n");
                }

                var changed = tree.ListFiles().First(f => f.StartsWith(module + "/", StringComparison.Ordinal));
                return (Join(dependants), Join(Affected(tree, yaml.ToString(), [changed]).Select(p => p.Name)));
            });
        }
    }

    // ---------------------------------------------------------------- Atlantis: e2e autoplans

    /// <summary>
    /// TestGitHubWorkflow cases (with autoplan on) whose repo is copied: the projects of the
    /// exp-output-autoplan*.txt reply, or none where ExpAutoplan is false. atlantis.yaml is translated to
    /// planbot.yaml; without one, Atlantis' server default does not follow module callers.
    /// </summary>
    private static IEnumerable<Row> AtlantisE2e()
    {
        var root = Fixtures.Path("repos", "atlantis-test-repos");
        var goFile = File.ReadAllText(Path.Combine(root, "_expectations", "events_controller_e2e_test.go.txt"));
        foreach (Match c in E2eCase().Matches(goFile))
        {
            var body = c.Value;
            var repo = Field(body, "RepoDir");
            if (repo is null || !Directory.Exists(Path.Combine(root, repo)) || body.Contains("DisableAutoplan:", StringComparison.Ordinal))
            {
                continue;
            }

            var description = Field(body, "Description")!;
            var configFile = Field(body, "RepoConfigFile") ?? "atlantis.yaml";
            var modified = Strings(Regex.Match(body, @"ModifiedFiles:\s*\[\]string\{([^}]*)\}").Groups[1].Value);
            var autoplan = Regex.IsMatch(body, @"ExpAutoplan:\s*true");
            var replies = Strings(Regex.Match(body, @"ExpReplies:\s*\[\]\[\]string\{\s*\{([^}]*)\}").Groups[1].Value);
            yield return new Row("atlantis", $"e2e {description}", () =>
            {
                var tree = MemoryFileTree.FromDirectory(Path.Combine(root, repo));
                var expected = !autoplan ? [] : replies.Where(r => r.Contains("autoplan", StringComparison.Ordinal))
                    .SelectMany(r => PlannedIn(File.ReadAllText(Path.Combine(root, repo, r))))
                    .Distinct().ToArray();
                var yaml = File.Exists(Path.Combine(root, repo, configFile))
                    ? FromAtlantisYaml(File.ReadAllText(Path.Combine(root, repo, configFile)))
                    : "autoplan: { modules: false }\n";
                var actual = Affected(tree, yaml, modified).Select(p => p.Name != Naming.ProjectName(p.Dir, p.Workspace) ? p.Name : $"{p.Dir}@{p.Workspace}");
                return (Join(expected), Join(actual));
            });
        }
    }

    /// <summary>Each project of a "Ran Plan for …" reply (before its first section): its name, else "dir@workspace".</summary>
    private static IEnumerable<string> PlannedIn(string reply) =>
        PlanHeader().Matches(reply.Split("\n---", 2)[0]).Select(m => m.Groups["name"].Success ? m.Groups["name"].Value : $"{RepoPath.Normalize(m.Groups["dir"].Value)}@{m.Groups["ws"].Value}");

    /// <summary>Translates an atlantis.yaml's projects to planbot.yaml: listed projects only, their when_modified kept.</summary>
    public static string FromAtlantisYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var yaml = new StringBuilder("discovery: { enabled: false }\nprojects:\n");
        foreach (YamlMappingNode project in (YamlSequenceNode)root.Children[new YamlScalarNode("projects")])
        {
            string? Get(string key) => project.Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value : null;
            yaml.Append($"  - dir: '{Get("dir")}'\n");
            if (Get("name") is { } name)
            {
                yaml.Append($"    name: {name}\n");
            }

            if (Get("workspace") is { } workspace)
            {
                yaml.Append($"    workspace: {workspace}\n");
            }

            if (project.Children.TryGetValue(new YamlScalarNode("autoplan"), out var auto) &&
                ((YamlMappingNode)auto).Children.TryGetValue(new YamlScalarNode("when_modified"), out var when))
            {
                yaml.Append($"    when_modified: [{string.Join(", ", ((YamlSequenceNode)when).Select(w => $"'{((YamlScalarNode)w).Value}'"))}]\n");
            }

            // A workflow's init arguments (-backend-config=<env>.tfvars) tell two projects on one dir apart: each has its own state.
            if (Get("workflow") is { } workflow && InitArguments(root, workflow) is { Count: > 0 } init)
            {
                yaml.Append($"    terraform: {{ extra_args: {{ init: [{string.Join(", ", init.Select(a => $"'{a}'"))}] }} }}\n");
            }
        }

        return yaml.ToString();
    }

    /// <summary>The extra_args of the init step of an atlantis.yaml workflow's plan stage.</summary>
    private static List<string> InitArguments(YamlMappingNode root, string workflow)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode("workflows"), out var workflows) ||
            !((YamlMappingNode)workflows).Children.TryGetValue(new YamlScalarNode(workflow), out var definition) ||
            !((YamlMappingNode)definition).Children.TryGetValue(new YamlScalarNode("plan"), out var plan) ||
            !((YamlMappingNode)plan).Children.TryGetValue(new YamlScalarNode("steps"), out var steps))
        {
            return [];
        }

        return ((YamlSequenceNode)steps).OfType<YamlMappingNode>()
            .Where(step => step.Children.ContainsKey(new YamlScalarNode("init")))
            .SelectMany(step => step.Children[new YamlScalarNode("init")] is YamlMappingNode init &&
                init.Children.TryGetValue(new YamlScalarNode("extra_args"), out var args) ? ((YamlSequenceNode)args).Select(a => ((YamlScalarNode)a).Value!) : [])
            .ToList();
    }

    // ---------------------------------------------------------------- tfaction: list-targets

    /// <summary>
    /// tfaction's list-targets tests: working dirs are the dirs of tfaction.yaml files inside a target
    /// group; moduleCallers maps a module dir to the dirs calling it. Rows about labels (tfmigrate, skip),
    /// apply jobs, templates, test workflows and errors are about job selection, not change detection.
    /// </summary>
    private static IEnumerable<Row> TfactionListTargets()
    {
        var text = File.ReadAllText(Fixtures.Path("repos", "tfaction-tests", "_expectations", "list-targets-with-changed-files_index.test.ts.txt"));
        // Each test alone (up to its closing "});"), not the constants declared after it.
        foreach (var block in text.Split("\ntest(\"").Skip(1).Select(b => b.Split("\n});", 2)[0]))
        {
            var name = block[..block.IndexOf('"', StringComparison.Ordinal)];
            var (input, output) = (block.Split("toStrictEqual", 2)[0], block.Split("toStrictEqual", 2).ElementAtOrDefault(1) ?? "");
            if (Regex.IsMatch(input, @"labels:\s*\[\s*""[^""]") || input.Contains("isApply: true", StringComparison.Ordinal) ||
                input.Contains("template_dir", StringComparison.Ordinal) || input.Contains("test_workflow", StringComparison.Ordinal) ||
                block.Contains("rejects", StringComparison.Ordinal) || output.Length == 0)
            {
                continue;
            }

            var groups = JsValues(ArrayAfter(input, "target_groups")).Count > 0
                ? Regex.Matches(ArrayAfter(input, "target_groups"), @"working_directory:\s*""([^""]*)""").Select(m => m.Groups[1].Value).ToArray()
                : [];
            var changed = JsValues(ArrayAfter(input, "changedFiles"));
            var configs = JsValues(ArrayAfter(input, "configFiles"));
            var callers = JsObject(ObjectAfter(input, "moduleCallers"));
            var expected = Regex.Matches(output, @"working_directory:\s*""([^""]*)""").Select(m => m.Groups[1].Value).ToArray();
            yield return new Row("tfaction", $"list-targets {name}", () =>
            {
                var globs = groups.Select(g => Glob.TryParse(g, out var glob, out _) ? glob! : throw new InvalidOperationException(g)).ToArray();
                var dirs = configs.Where(c => c.Length > 0).Select(RepoPath.DirectoryOf)
                    .Where(d => globs.Any(g => g.IsMatch(d) || g.IsMatch(d + "/x")))
                    .Distinct().ToArray();
                var tree = TreeOf(dirs, callers.SelectMany(kv => kv.Value.Select(caller => (caller, kv.Key))));
                var yaml = "discovery: { enabled: false }\n" + (dirs.Length == 0 ? "" : "projects:\n" + string.Concat(dirs.Select(d => $"  - dir: {d}\n")));
                return (Join(expected), Join(Affected(tree, yaml, changed.Where(c => c.Length > 0).ToArray()).Select(p => p.Dir)));
            });
        }
    }

    // ---------------------------------------------------------------- tfaction: buildModuleToCallers

    /// <summary>
    /// tfaction's buildModuleToCallers: a change in a module affects every dir calling it, directly or
    /// transitively. Every dir named is a project here, so the affected set is the module and its callers.
    /// </summary>
    private static IEnumerable<Row> TfactionModuleCallers()
    {
        var text = File.ReadAllText(Fixtures.Path("repos", "tfaction-tests", "_expectations", "list-targets-with-changed-files_list-module-callers_index.test.ts.txt"));
        foreach (var block in text.Split("\n  it(\"").Skip(1))
        {
            var name = block[..block.IndexOf('"', StringComparison.Ordinal)];
            var calls = JsObject(ObjectAfter(block, "buildModuleToCallers("));
            var expected = JsObject(ObjectAfter(block, "toEqual("));
            yield return new Row("tfaction", $"module-callers {name}", () =>
            {
                var dirs = calls.Keys.Concat(calls.Values.SelectMany(v => v)).Distinct().Order(StringComparer.Ordinal).ToArray();
                var tree = TreeOf(dirs, calls.SelectMany(kv => kv.Value.Select(module => (kv.Key, module))));
                var yaml = "discovery: { enabled: false }\n" + (dirs.Length == 0 ? "" : "projects:\n" + string.Concat(dirs.Select(d => $"  - dir: {d}\n")));
                var want = new StringBuilder();
                var got = new StringBuilder();
                foreach (var module in dirs.Where(d => calls.Values.Any(v => v.Contains(d))))
                {
                    want.Append($"{module} <- {Join(expected.GetValueOrDefault(module) ?? [])}\n");
                    got.Append($"{module} <- {Join(Affected(tree, yaml, [module + "/main.tf"]).Select(p => p.Dir).Where(d => d != module))}\n");
                }

                return (want.ToString(), got.ToString());
            });
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>A tree where every dir has a main.tf and each (caller, module) pair is a module block.</summary>
    private static MemoryFileTree TreeOf(IEnumerable<string> dirs, IEnumerable<(string Caller, string Module)> calls)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in dirs)
        {
            files[$"{dir}/main.tf"] = "resource \"terraform_data\" \"x\" {}\n";
        }

        foreach (var (caller, module) in calls)
        {
            files.TryAdd($"{module}/main.tf", "resource \"terraform_data\" \"x\" {}\n");
            var key = $"{caller}/main.tf";
            files[key] = files.GetValueOrDefault(key, "") + $"module \"m{files.Count}\" {{\n  source = \"{Relative(caller, module)}\"\n}}\n";
        }

        return new MemoryFileTree(files);
    }

    private static string Relative(string from, string to)
    {
        var up = string.Concat(Enumerable.Repeat("../", RepoPath.Segments(from).Count()));
        return up + to;
    }

    private static IReadOnlyList<Project> Affected(IFileTree tree, string yaml, IReadOnlyList<string> changed)
    {
        var discovery = ProjectDiscovery.Discover(tree, ConfigLoader.Parse("planbot.yaml", yaml));
        return ChangeDetector.Detect(discovery, changed.Select(f => new ChangedFile(f, FileChangeKind.Modified)).ToArray()).Affected.Select(a => a.Project).ToArray();
    }

    private static string Join(IEnumerable<string> items) => string.Join(", ", items.Distinct().Order(StringComparer.Ordinal));

    private static string? Field(string body, string name) =>
        Regex.Match(body, name + @":\s*""([^""]*)""") is { Success: true } m ? m.Groups[1].Value : null;

    private static string[] Strings(string list) => Regex.Matches(list, @"""([^""]*)""").Select(m => m.Groups[1].Value).ToArray();

    /// <summary>The bracketed text after <paramref name="key"/> (nesting-aware), or "".</summary>
    private static string ArrayAfter(string text, string key) => Balanced(text, key, '[', ']');

    private static string ObjectAfter(string text, string key) => Balanced(text, key, '{', '}');

    private static string Balanced(string text, string key, char open, char close)
    {
        var at = text.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
        {
            return "";
        }

        var start = text.IndexOf(open, at);
        var depth = 0;
        for (var i = start; i >= 0 && i < text.Length; i++)
        {
            depth += text[i] == open ? 1 : text[i] == close ? -1 : 0;
            if (depth == 0)
            {
                return text[(start + 1)..i];
            }
        }

        return "";
    }

    private static List<string> JsValues(string array) =>
        Regex.Matches(StripComments(array), @"""([^""]*)""").Select(m => m.Groups[1].Value).ToList();

    /// <summary>A JS object literal of string arrays: <c>{ "a": ["b"], d: ["e"] }</c>.</summary>
    private static Dictionary<string, List<string>> JsObject(string body)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (Match m in JsEntry().Matches(StripComments(body)))
        {
            result[m.Groups["q"].Success ? m.Groups["q"].Value : m.Groups["k"].Value] = JsValues(m.Groups["v"].Value);
        }

        return result;
    }

    private static string StripComments(string text) => Regex.Replace(text, @"//[^\n]*", "");

    [GeneratedRegex(@"(?:""(?<q>[^""]+)""|(?<k>[A-Za-z_][\w]*))\s*:\s*\[(?<v>[^\]]*)\]")]
    private static partial Regex JsEntry();

    [GeneratedRegex(@"\{\s*\n\s*Description:.*?\n\t\t\},?\n", RegexOptions.Singleline)]
    private static partial Regex E2eCase();

    [GeneratedRegex(@"(?:project: `(?<name>[^`]+)` )?dir: `(?<dir>[^`]+)` workspace: `(?<ws>[^`]+)`")]
    private static partial Regex PlanHeader();
}
