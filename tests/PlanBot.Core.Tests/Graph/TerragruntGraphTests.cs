using System.Text;
using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Discovery.Hcl;
using PlanBot.Core.Graph;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Graph;

/// <summary>
/// repos/terragrunt-graph with the expectations of terragrunt's integration_graph_test.go: running a
/// unit runs it and everything depending on it. Differs by design: PlanBot does not read
/// terragrunt.hcl, so the `dependency` blocks are translated into planbot.yaml depends_on here, which
/// is how a user would state them; the resulting graph must give terragrunt's answers.
/// </summary>
public class TerragruntGraphTests
{
    [FixtureTheory]
    [InlineData("eks", new[] { "eks", "services/eks-service-1", "services/eks-service-2", "services/eks-service-2-v2", "services/eks-service-3", "services/eks-service-3-v2", "services/eks-service-3-v3", "services/eks-service-4", "services/eks-service-5" }, new[] { "lambda", "services/lambda-service-1", "services/lambda-service-2" })]
    [InlineData("services/lambda-service-1", new[] { "services/lambda-service-1", "services/lambda-service-2" }, new[] { "lambda" })]
    [InlineData("services/eks-service-3", new[] { "services/eks-service-3", "services/eks-service-3-v2", "services/eks-service-3-v3", "services/eks-service-4" }, new[] { "eks", "services/eks-service-1", "services/eks-service-2" })]
    [InlineData("services/lambda-service-2", new[] { "services/lambda-service-2" }, new[] { "services/lambda-service-1", "lambda" })]
    public void Dependents_match_terragrunts_graph_expectations(string start, string[] expected, string[] notExpected)
    {
        var tree = MemoryFileTree.FromDirectory(Fixtures.Path("repos", "terragrunt-graph"));
        var yaml = new StringBuilder("projects:\n");
        foreach (var file in tree.ListFiles().Where(f => f.EndsWith("terragrunt.hcl", StringComparison.Ordinal)))
        {
            var dir = RepoPath.DirectoryOf(file);
            var dependencies = HclParser.Parse(file, tree.ReadText(file)).Body.BlocksOfType("dependency")
                .Select(d => RepoPath.Combine(dir, d.Body.Attribute("config_path")!.AsString!)!)
                .ToArray();
            yaml.Append($"  - dir: {dir}\n    depends_on: [{string.Join(", ", dependencies)}]\n");
        }

        var projects = ProjectDiscovery.Discover(tree, ConfigLoader.Parse("planbot.yaml", yaml.ToString())).Projects;
        var graph = ProjectGraph.Build(projects);
        var dependents = new SortedSet<string>(StringComparer.Ordinal) { start };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var project in projects.Where(p => !dependents.Contains(p.Name)))
            {
                if (graph.DependenciesOf(project.Name).Any(e => dependents.Contains(e.To)))
                {
                    grew = dependents.Add(project.Name);
                }
            }
        }

        dependents.ShouldBe(expected.Order(StringComparer.Ordinal));
        dependents.ShouldNotContain(n => notExpected.Contains(n));
    }
}
