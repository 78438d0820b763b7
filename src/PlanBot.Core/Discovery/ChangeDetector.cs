using PlanBot.Core.Common;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Discovery;

/// <summary>A project a change touches, and why.</summary>
public sealed record AffectedProject(Project Project, IReadOnlyList<string> Reasons);

/// <summary>A dir that held Terraform files before the change and holds none after it.</summary>
public sealed record DeletedProject(string Dir, IReadOnlyList<string> DeletedFiles);

public sealed record ChangeSet(IReadOnlyList<AffectedProject> Affected, IReadOnlyList<DeletedProject> Deleted);

/// <summary>
/// Decides which projects a set of changed files touches: a file in the project's dir (the deepest
/// project dir holding it; Markdown excepted) unless the project lists when_modified, which then
/// replaces that rule; a file in a local module it calls (transitively) unless autoplan.modules is
/// off; a file matching its when_modified globs. Renames count both paths.
/// </summary>
public static class ChangeDetector
{
    public static ChangeSet Detect(DiscoveryResult discovery, IReadOnlyList<ChangedFile> changes)
    {
        var projectsByDir = discovery.Projects.Where(p => p.Exists).ToLookup(p => p.Dir, StringComparer.Ordinal);
        var paths = changes.SelectMany(c => c.Paths).Distinct(StringComparer.Ordinal).ToArray();
        var reasons = new Dictionary<Project, List<string>>();
        void Hit(Project project, string reason)
        {
            if (!reasons.TryGetValue(project, out var list))
            {
                reasons[project] = list = [];
            }

            if (list.Count < 20 && !list.Contains(reason))
            {
                list.Add(reason);
            }
        }

        // Changed module dirs first (one entry per module, its first changed file), then one pass over
        // the projects: a change to a module used by thousands of projects costs one lookup each.
        var changedModules = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths.Where(p => !IsDoc(p)))
        {
            if (DeepestDir(RepoPath.DirectoryOf(path), projectsByDir.Contains) is { } projectDir)
            {
                // An explicit when_modified replaces the dir rule (as in Atlantis): its globs alone decide.
                foreach (var project in projectsByDir[projectDir].Where(p => p.WhenModified.Count == 0))
                {
                    Hit(project, $"changed {path}");
                }
            }

            if (DeepestDir(RepoPath.DirectoryOf(path), discovery.ModuleDirs.Contains) is { } moduleDir)
            {
                changedModules.TryAdd(moduleDir, path);
            }
        }

        if (changedModules.Count > 0)
        {
            foreach (var project in discovery.Projects.Where(p => p.FollowModules))
            {
                foreach (var module in project.ModuleDirs)
                {
                    if (changedModules.TryGetValue(module, out var path))
                    {
                        Hit(project, $"uses module {module} ({path} changed)");
                    }
                }
            }
        }

        foreach (var project in discovery.Projects.Where(p => p.IncludedFiles.Count > 0))
        {
            foreach (var path in paths.Where(project.IncludedFiles.Contains))
            {
                Hit(project, $"includes {path} (changed)");
            }
        }

        foreach (var project in discovery.Projects.Where(p => p.WhenModified.Count > 0))
        {
            foreach (var path in paths)
            {
                var glob = project.WhenModified.FirstOrDefault(g => g.IsMatch(path));
                if (glob is not null)
                {
                    Hit(project, $"{path} matches when_modified '{glob.Pattern}'");
                }
            }
        }

        // A configured project whose dir holds no Terraform (a typo like 'stagin') is never touched by a
        // change: without this it would be listed and silently never planned, with a green gate.
        foreach (var project in discovery.Projects.Where(p => !p.Exists))
        {
            Hit(project, $"its dir '{project.Dir}' holds no .tf or .tf.json files");
        }

        var affected = reasons
            .Select(kv => new AffectedProject(kv.Key, kv.Value))
            .OrderBy(a => a.Project.Name, StringComparer.Ordinal)
            .ToArray();
        return new ChangeSet(affected, DeletedProjects(discovery, changes));
    }

    private static bool IsDoc(string path) => path.EndsWith(".md", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether <paramref name="changes"/> can affect any project, judged before the projects are known: a
    /// change of Markdown files only cannot, by the dir rule (a when_modified glob could still name one). A hint
    /// for reads started early (the lock backend's prefetch, issue 19), never for what is planned.
    /// </summary>
    public static bool MayAffectAProject(IReadOnlyList<ChangedFile>? changes) =>
        changes is null || changes.Any(c => c.Paths.Any(p => !IsDoc(p)));

    /// <summary>The deepest dir from <paramref name="dir"/> up to the root for which <paramref name="match"/> holds.</summary>
    private static string? DeepestDir(string dir, Func<string, bool> match)
    {
        while (true)
        {
            if (match(dir))
            {
                return dir;
            }

            if (dir == RepoPath.Root)
            {
                return null;
            }

            dir = RepoPath.DirectoryOf(dir);
        }
    }

    private static DeletedProject[] DeletedProjects(DiscoveryResult discovery, IReadOnlyList<ChangedFile> changes)
    {
        var gone = changes
            .SelectMany(c => c.Kind == FileChangeKind.Deleted ? [c.Path] : c.Kind == FileChangeKind.Renamed && c.OldPath is { } old ? new[] { old } : [])
            .Where(Discovery.DirFactsReader.IsTerraformFile)
            .GroupBy(RepoPath.DirectoryOf)
            .Where(g => !discovery.Dirs.ContainsKey(g.Key) && !discovery.ModuleDirs.Contains(g.Key) && !RepoPath.Segments(g.Key).Contains("modules"));
        return gone.Select(g => new DeletedProject(g.Key, g.Order(StringComparer.Ordinal).ToArray()))
            .OrderBy(d => d.Dir, StringComparer.Ordinal)
            .ToArray();
    }
}
