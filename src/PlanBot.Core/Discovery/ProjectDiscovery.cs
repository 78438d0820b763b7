using System.Collections.Concurrent;
using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery.Hcl;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Discovery;

/// <summary>
/// Finds the projects of a working tree (PRODUCT.md "Projects, changes, order"): dirs that declare a
/// backend or cloud block, dirs listed in config, and dirs no other dir calls as a module that are not
/// under a modules/ dir. examples/ dirs and discovery.ignore globs are skipped.
/// </summary>
public static class ProjectDiscovery
{
    public static DiscoveryResult Discover(IFileTree tree, PlanBotConfig config) => Discover(tree, config, null);

    /// <param name="readAhead">The tree's files read ahead (<see cref="TreeReadAhead"/>); used only when it read this very tree, and stopped here.</param>
    public static DiscoveryResult Discover(IFileTree tree, PlanBotConfig config, TreeReadAhead? readAhead)
    {
        ArgumentNullException.ThrowIfNull(tree);
        readAhead?.Stop();
        var warnings = new ConcurrentBag<string>();
        var dirs = ReadDirs(tree, config, readAhead?.Root == tree.Root ? readAhead : null, warnings);
        readAhead?.Release();
        var targets = dirs.Values.ToDictionary(d => d.Dir, d => LocalModuleTargets(d, warnings).Distinct().ToArray(), StringComparer.Ordinal);
        var closures = new ModuleClosures(targets);
        var calledBy = ModuleCallers(targets);
        var moduleDirs = new HashSet<string>(calledBy.Keys);

        // A terragrunt.hcl other units include is shared configuration (the old root-config layout), not a unit.
        var includedConfigs = dirs.Values.SelectMany(d => d.Terragrunt?.Includes ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var warning in dirs.Values.SelectMany(d => d.Terragrunt?.Warnings ?? []))
        {
            warnings.Add(warning);
        }

        var projects = new List<Project>();
        var configuredDirs = new HashSet<string>();
        foreach (var configured in config.Projects)
        {
            configuredDirs.Add(configured.Dir);
            dirs.TryGetValue(configured.Dir, out var facts);
            if (facts is null)
            {
                warnings.Add($"{config.SourceFile ?? "planbot.yaml"}:{configured.Line}: project dir '{configured.Dir}' holds no .tf or .tf.json files, so the project fails on every run: fix its 'dir'{NearestDir(configured.Dir, dirs.Keys)} or remove the project");
            }

            projects.Add(Build(configured.Dir, configured.Workspace, facts, dirs, closures, ProjectSource.Configured) with
            {
                Name = configured.Name ?? Naming.ProjectName(configured.Dir, configured.Workspace),
                DependsOn = configured.DependsOn,
                WhenModified = configured.WhenModified,
                Foundational = configured.Foundational,
                FollowModules = configured.AutoplanModules ?? config.Autoplan.Modules,
                Run = ProjectRun.For(configured.Dir, config.Terraform.Run.Then(configured.Run), facts?.Terragrunt is not null).WithVersion(VersionChoice.For(configured.Run.Version, facts, config.Terraform.Run.Version)),
                Workflow = config.WorkflowFor(configured.Workflow),
                Exists = facts is not null,
                ConfigLine = configured.Line,
            });
        }

        if (config.Discovery.Enabled)
        {
            foreach (var facts in dirs.Values.OrderBy(d => d.Dir, StringComparer.Ordinal))
            {
                if (configuredDirs.Contains(facts.Dir) || IsUnderExamples(facts.Dir))
                {
                    continue;
                }

                var isModule = moduleDirs.Contains(facts.Dir) || RepoPath.Segments(facts.Dir).Contains("modules");
                if (facts.Terragrunt is not null ? !includedConfigs.Contains(facts.Terragrunt.File) : facts.DeclaresBackend || !isModule)
                {
                    projects.Add(Build(facts.Dir, "default", facts, dirs, closures, ProjectSource.Discovered) with
                    {
                        FollowModules = config.Autoplan.Modules,
                        Run = ProjectRun.For(facts.Dir, config.Terraform.Run, facts.Terragrunt is not null).WithVersion(VersionChoice.For(null, facts, config.Terraform.Run.Version)),
                        Workflow = config.WorkflowFor(null),
                    });
                }
            }
        }

        WarnModuleCycles(dirs, targets, closures, warnings);
        projects = TerragruntEdges.Apply(projects, dirs, warnings);
        foreach (var duplicate in projects.GroupBy(p => p.Name).Where(g => g.Count() > 1))
        {
            throw new ConfigException($"{config.SourceFile ?? "planbot.yaml"}: project name '{duplicate.Key}' is used twice: give one of them a distinct 'name'");
        }

        return new DiscoveryResult
        {
            Projects = projects.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray(),
            Dirs = dirs,
            ModuleDirs = moduleDirs,
            Warnings = warnings.Order(StringComparer.Ordinal).ToArray(),
        };
    }

    /// <summary>
    /// Dirs that call each other as modules are all "called by another dir", so none becomes a project
    /// and nothing is planned; terraform rejects such a cycle too. Say so instead of finding nothing.
    /// </summary>
    private static void WarnModuleCycles(Dictionary<string, DirFacts> dirs, Dictionary<string, string[]> targets, ModuleClosures closures, ConcurrentBag<string> warnings)
    {
        foreach (var (dir, called) in targets)
        {
            foreach (var target in called.Where(t => string.CompareOrdinal(t, dir) > 0 && dirs.ContainsKey(t)))
            {
                if (Array.BinarySearch(closures.Of(target), dir, StringComparer.Ordinal) >= 0)
                {
                    var call = dirs[dir].ModuleCalls.FirstOrDefault(c => RepoPath.Combine(dir, c.Source.Split("//")[0]) == target);
                    var where = call is null ? dir : $"{call.File}:{call.Line}";
                    warnings.Add($"{where}: {dir} calls {target} as a module and {target} calls {dir} back (a module cycle terraform rejects), so neither is planned: remove one of the calls");
                }
            }
        }
    }

    /// <summary>", did you mean 'x'?" for the discovered dir closest in spelling, when one is close.</summary>
    private static string NearestDir(string dir, IEnumerable<string> known)
    {
        var best = known.Select(k => (Dir: k, Distance: Spelling.EditDistance(dir, k))).Where(k => k.Distance <= Math.Max(2, dir.Length / 4))
            .OrderBy(k => k.Distance).ThenBy(k => k.Dir, StringComparer.Ordinal).FirstOrDefault();
        return best.Dir is null ? "" : $" (did you mean '{best.Dir}'?)";
    }

    private static bool IsUnderExamples(string dir) => RepoPath.Segments(dir).Contains("examples");

    private static Dictionary<string, DirFacts> ReadDirs(IFileTree tree, PlanBotConfig config, TreeReadAhead? readAhead, ConcurrentBag<string> warnings)
    {
        var ignore = config.Discovery.Ignore;
        var all = readAhead?.ListFiles() ?? tree.ListFiles();
        var known = new HashSet<string>(all, StringComparer.Ordinal);
        var byDir = all
            .Where(IsDiscoveryFile)
            .Where(f => !ignore.Any(g => g.MatchesPathOrParent(f)))
            .GroupBy(RepoPath.DirectoryOf)
            .ToArray();

        var result = new ConcurrentDictionary<string, DirFacts>(StringComparer.Ordinal);
        Parallel.ForEach(byDir, group =>
        {
            var files = group.Select(f => Warned(readAhead?.Parse(f, p => ParseFile(tree, p)) ?? ParseFile(tree, f), warnings)).OfType<HclFile>().ToArray();
            if (files.Length > 0)
            {
                var (version, versionPath) = VersionChoice.ReadVersionFile(tree, group.Key, known);
                result[group.Key] = DirFactsReader.Read(group.Key, files, known.Contains) with { VersionFile = version, VersionFilePath = versionPath };
            }
        });
        return new Dictionary<string, DirFacts>(result, StringComparer.Ordinal);
    }

    /// <summary>A file discovery reads: Terraform's own (.tf, .tf.json) and Terragrunt's unit file.</summary>
    internal static bool IsDiscoveryFile(string path) => DirFactsReader.IsTerraformFile(path) || TerragruntReader.IsUnitFile(path);

    /// <summary>The parsed file; skipped (with the warning) for a file the tree skips by design; a read error is the file's diagnostic.</summary>
    internal static ParsedFile ParseFile(IFileTree tree, string path)
    {
        try
        {
            return new ParsedFile(DirFactsReader.ParseFile(path, tree.ReadText(path)), null);
        }
        catch (SkippedFileException e)
        {
            return new ParsedFile(null, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ParsedFile(new HclFile(path, HclBody.Empty, [new HclDiagnostic(1, 1, "could not read file: " + e.Message)]), null);
        }
    }

    /// <summary>The parsed file, or null with its warning told.</summary>
    private static HclFile? Warned(ParsedFile parsed, ConcurrentBag<string> warnings)
    {
        if (parsed.Skipped is { } warning)
        {
            warnings.Add(warning);
        }

        return parsed.File;
    }

    /// <summary>Local module dir → the dirs that call it (a dir calling itself is not counted).</summary>
    private static Dictionary<string, HashSet<string>> ModuleCallers(Dictionary<string, string[]> targets)
    {
        var calledBy = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (dir, called) in targets)
        {
            foreach (var target in called.Where(t => t != dir))
            {
                if (!calledBy.TryGetValue(target, out var callers))
                {
                    calledBy[target] = callers = new HashSet<string>(StringComparer.Ordinal);
                }

                callers.Add(dir);
            }
        }

        return calledBy;
    }

    /// <summary>Dirs of the local (./ or ../) module sources a dir calls.</summary>
    public static IEnumerable<string> LocalModuleTargets(DirFacts facts, ConcurrentBag<string>? warnings = null)
    {
        // A Terragrunt unit's terraform.source is the module it runs: it calls it, as a module block would.
        if (facts.Terragrunt?.SourceDir is { } source)
        {
            yield return source;
        }

        foreach (var call in facts.ModuleCalls)
        {
            if (!call.Source.StartsWith("./", StringComparison.Ordinal) && !call.Source.StartsWith("../", StringComparison.Ordinal) && call.Source is not ("." or ".."))
            {
                continue; // registry, git, http sources: not in this repository
            }

            var target = RepoPath.Combine(facts.Dir, call.Source.Split("//")[0]);
            if (target is null)
            {
                warnings?.Add($"{call.File}:{call.Line}: module \"{call.Name}\" source '{call.Source}' leaves the repository; changes there are not tracked");
                continue;
            }

            yield return target;
        }
    }

    private static Project Build(string dir, string workspace, DirFacts? facts, Dictionary<string, DirFacts> dirs, ModuleClosures closures, ProjectSource source)
    {
        var modules = closures.Of(dir);
        var errors = new List<string>(facts?.Errors ?? []);
        foreach (var module in modules)
        {
            if (dirs.TryGetValue(module, out var moduleFacts))
            {
                errors.AddRange(moduleFacts.Errors);
            }
        }

        var backend = facts?.Backend;
        var stateAddress = facts?.HasCloudBlock == true
            ? null
            : StateAddress.For(backend?.Type ?? "local", backend?.Config ?? new HclObject([]), dir, workspace);
        return new Project
        {
            Name = Naming.ProjectName(dir, workspace),
            Dir = dir,
            Workspace = workspace,
            Source = source,
            ModuleDirs = modules,
            StateAddress = stateAddress,
            RemoteStates = facts?.RemoteStates ?? [],
            ParseErrors = errors,
            Terragrunt = facts?.Terragrunt is not null,
            IncludedFiles = facts?.Terragrunt?.Includes ?? [],
        };
    }

    /// <summary>
    /// The local modules each dir calls, directly or transitively, computed once per dir and shared:
    /// monorepos call the same module chains from thousands of projects.
    /// </summary>
    private sealed class ModuleClosures(Dictionary<string, string[]> targets)
    {
        private readonly Dictionary<string, string[]> _memo = new(StringComparer.Ordinal);

        public string[] Of(string dir)
        {
            if (_memo.TryGetValue(dir, out var known))
            {
                return known;
            }

            // Iterative DFS over the call graph; cycles (a module calling back) simply stop.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var stack = new Stack<string>();
            stack.Push(dir);
            while (stack.Count > 0)
            {
                var current = stack.Pop();
                if (current != dir && _memo.TryGetValue(current, out var closure))
                {
                    seen.UnionWith(closure);
                    continue;
                }

                foreach (var target in targets.GetValueOrDefault(current) ?? [])
                {
                    if (target != dir && seen.Add(target))
                    {
                        stack.Push(target);
                    }
                }
            }

            seen.Remove(dir);
            var result = seen.Order(StringComparer.Ordinal).ToArray();
            _memo[dir] = result;
            return result;
        }
    }
}
