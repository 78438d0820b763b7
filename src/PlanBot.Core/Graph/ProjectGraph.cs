using PlanBot.Core.Config;
using PlanBot.Core.Discovery;

namespace PlanBot.Core.Graph;

/// <summary>Why one project comes after another.</summary>
public sealed record DependencyEdge(string From, string To, string Reason);

/// <summary>
/// The order projects run in: an edge from every depends_on entry and from every
/// terraform_remote_state whose backend config matches another project's state.
/// </summary>
public sealed class ProjectGraph
{
    private readonly Dictionary<string, List<DependencyEdge>> _dependencies;

    private ProjectGraph(IReadOnlyList<string> nodes, Dictionary<string, List<DependencyEdge>> dependencies, IReadOnlyList<string> warnings)
    {
        Nodes = nodes;
        _dependencies = dependencies;
        Warnings = warnings;
    }

    public IReadOnlyList<string> Nodes { get; }

    public IReadOnlyList<string> Warnings { get; }

    /// <summary>What <paramref name="project"/> depends on (the projects that must run first).</summary>
    public IReadOnlyList<DependencyEdge> DependenciesOf(string project) =>
        _dependencies.TryGetValue(project, out var edges) ? edges : [];

    /// <summary>The projects that read <paramref name="project"/> (depends_on, terraform_remote_state): the edges into it, by dependent name.</summary>
    public IReadOnlyList<DependencyEdge> DependentsOf(string project) =>
        [.. Nodes.SelectMany(n => DependenciesOf(n).Where(e => e.To == project))];

    /// <exception cref="ConfigException">depends_on names an unknown project, or the graph has a cycle.</exception>
    public static ProjectGraph Build(IReadOnlyList<Project> projects, string configFile = "planbot.yaml")
    {
        var byName = projects.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var byState = projects.Where(p => p.StateAddress is not null)
            .GroupBy(p => p.StateAddress!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        var dependencies = new Dictionary<string, List<DependencyEdge>>(StringComparer.Ordinal);
        var warnings = new List<string>();
        var errors = new List<string>();

        void Add(string from, string to, string reason)
        {
            if (!dependencies.TryGetValue(from, out var list))
            {
                dependencies[from] = list = [];
            }

            if (!list.Any(e => e.To == to))
            {
                list.Add(new DependencyEdge(from, to, reason));
            }
        }

        foreach (var project in projects)
        {
            foreach (var name in project.DependsOn)
            {
                if (!byName.ContainsKey(name))
                {
                    errors.Add($"{configFile}:{project.ConfigLine}: project '{project.Name}' depends_on '{name}', which is not a project; known projects: {string.Join(", ", byName.Keys.Order(StringComparer.Ordinal))}");
                    continue;
                }

                Add(project.Name, name, "depends_on");
            }

            foreach (var remote in project.RemoteStates)
            {
                var address = StateAddress.For(remote.Backend.Type, remote.Backend.Config, project.Dir, remote.Workspace);
                if (address is null)
                {
                    warnings.Add($"{remote.File}:{remote.Line}: terraform_remote_state \"{remote.Name}\" uses values known only at run time; add depends_on in planbot.yaml if it reads another project");
                    continue;
                }

                if (!byState.TryGetValue(address, out var producers))
                {
                    continue; // state written outside this repository
                }

                foreach (var producer in producers.Where(p => p.Name != project.Name))
                {
                    Add(project.Name, producer.Name, $"terraform_remote_state.{remote.Name}");
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine, errors));
        }

        var nodes = projects.Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        var graph = new ProjectGraph(nodes, dependencies, warnings);
        var cycles = graph.FindCycles();
        if (cycles.Count > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine, cycles.Select(c =>
                $"dependency cycle: {string.Join(" → ", c.Append(c[0]))}; break it by removing a depends_on or a terraform_remote_state between these projects")));
        }

        return graph;
    }

    /// <summary>Every strongly connected group of two or more projects, or a project depending on itself (Tarjan).</summary>
    public IReadOnlyList<IReadOnlyList<string>> FindCycles()
    {
        var index = 0;
        var indices = new Dictionary<string, int>(StringComparer.Ordinal);
        var lowLinks = new Dictionary<string, int>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var cycles = new List<IReadOnlyList<string>>();

        void Visit(string node)
        {
            indices[node] = lowLinks[node] = index++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var edge in DependenciesOf(node))
            {
                if (!indices.ContainsKey(edge.To))
                {
                    Visit(edge.To);
                    lowLinks[node] = Math.Min(lowLinks[node], lowLinks[edge.To]);
                }
                else if (onStack.Contains(edge.To))
                {
                    lowLinks[node] = Math.Min(lowLinks[node], indices[edge.To]);
                }
            }

            if (lowLinks[node] != indices[node])
            {
                return;
            }

            var component = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            }
            while (member != node);

            if (component.Count > 1 || DependenciesOf(node).Any(e => e.To == node))
            {
                component.Sort(StringComparer.Ordinal);
                cycles.Add(component);
            }
        }

        foreach (var node in Nodes)
        {
            if (!indices.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return cycles;
    }

    /// <summary>
    /// Topological levels of <paramref name="selected"/>: a selected project runs after every selected
    /// project it depends on, directly or through unselected ones. Names within a level are sorted.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Levels(IReadOnlyCollection<string> selected)
    {
        var chosen = new HashSet<string>(selected, StringComparer.Ordinal);
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);

        // depth(n) = max over dependencies d of depth(d) + (d selected ? 1 : 0): unselected projects pass order through.
        int Depth(string node)
        {
            if (depth.TryGetValue(node, out var known))
            {
                return known;
            }

            var value = 0;
            foreach (var edge in DependenciesOf(node))
            {
                value = Math.Max(value, Depth(edge.To) + (chosen.Contains(edge.To) ? 1 : 0));
            }

            depth[node] = value;
            return value;
        }

        return chosen
            .GroupBy(Depth)
            .OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<string>)g.Order(StringComparer.Ordinal).ToArray())
            .ToArray();
    }

    /// <summary>The selected projects that <paramref name="project"/> must wait for (through unselected ones too).</summary>
    public IReadOnlyList<string> SelectedDependencies(string project, IReadOnlySet<string> selected)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(DependenciesOf(project).Select(e => e.To));
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!seen.Add(node))
            {
                continue;
            }

            if (selected.Contains(node))
            {
                result.Add(node);
                continue;
            }

            foreach (var edge in DependenciesOf(node))
            {
                stack.Push(edge.To);
            }
        }

        return result.ToArray();
    }
}
