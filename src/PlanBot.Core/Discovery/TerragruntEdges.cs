using System.Collections.Concurrent;

namespace PlanBot.Core.Discovery;

/// <summary>
/// Turns Terragrunt units' dependency and dependencies blocks into depends_on edges between projects.
/// A dependency on a dir that is not a project (ignored, or not a unit) is a warning, not an error: the
/// unit is still planned, just not ordered after it.
/// </summary>
public static class TerragruntEdges
{
    public static List<Project> Apply(List<Project> projects, IReadOnlyDictionary<string, DirFacts> dirs, ConcurrentBag<string> warnings)
    {
        var byDir = projects.ToLookup(p => p.Dir, StringComparer.Ordinal);
        return projects.Select(project =>
        {
            if (!dirs.TryGetValue(project.Dir, out var facts) || facts.Terragrunt is not { Dependencies.Count: > 0 } unit)
            {
                return project;
            }

            var added = new List<string>();
            foreach (var dependency in unit.Dependencies)
            {
                // The dependency's project in the same workspace, else its default-workspace project.
                var target = byDir[dependency].FirstOrDefault(p => p.Workspace == project.Workspace) ?? byDir[dependency].FirstOrDefault();
                if (target is null)
                {
                    warnings.Add($"{unit.File}: dependency '{dependency}' is not a project PlanBot plans; {project.Name} is not ordered after it");
                }
                else if (target.Name != project.Name)
                {
                    added.Add(target.Name);
                }
            }

            return project with { DependsOn = project.DependsOn.Concat(added).Distinct(StringComparer.Ordinal).ToArray() };
        }).ToList();
    }
}
