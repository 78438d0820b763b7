using System.Text.Json;
using System.Text.RegularExpressions;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Graph;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Discovery;

/// <summary>
/// Terragrunt units read from terragrunt.hcl, with no planbot.yaml: terragrunt's own DAG expectations
/// (repos/terragrunt-dag/_expectations) and how terraform.source and includes drive change detection.
/// </summary>
public class TerragruntDiscoveryTests
{
    private static DiscoveryResult Discover(MemoryFileTree tree, string? yaml = null) =>
        ProjectDiscovery.Discover(tree, yaml is null ? PlanBotConfig.Default : ConfigLoader.Parse("planbot.yaml", yaml));

    private static string ExpectationsFile(string name) => File.ReadAllText(Fixtures.Path("repos", "terragrunt-dag", "_expectations", name));

    [FixtureFact]
    public void Find_dag_units_come_in_terragrunts_dag_order_with_its_dependencies()
    {
        var result = Discover(MemoryFileTree.FromDirectory(Fixtures.Path("repos", "terragrunt-dag", "find-dag")));
        var graph = ProjectGraph.Build(result.Projects);
        var order = graph.Levels(result.Projects.Select(p => p.Name).ToArray()).SelectMany(level => level).ToArray();

        // TestFindDAG's "dag" case: `terragrunt find --dag` prints the units in this order.
        var find = ExpectationsFile("integration_find_test.go.txt");
        var dag = Regex.Match(find, @"name:\s*""dag"",\s*sort:\s*""dag"",\s*expected:\s*""([^""]+)""").Groups[1].Value;
        order.ShouldBe(dag.Split("\\n", StringSplitOptions.RemoveEmptyEntries));

        // "dag with dependencies json output": each unit's dependencies, dependency and dependencies blocks alike.
        var json = Regex.Match(find, @"expected:\s*`(\[\{""type"":""unit"".*?\])`").Groups[1].Value;
        foreach (var unit in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            var name = unit.GetProperty("path").GetString()!;
            var expected = unit.TryGetProperty("dependencies", out var deps) ? deps.EnumerateArray().Select(d => d.GetString()!).Order().ToArray() : [];
            graph.DependenciesOf(name).Select(e => e.To).Order().ToArray().ShouldBe(expected, name);
        }
    }

    [FixtureFact]
    public void List_dag_units_have_the_dependencies_terragrunt_lists_and_stacks_are_not_units()
    {
        var result = Discover(MemoryFileTree.FromDirectory(Fixtures.Path("repos", "terragrunt-dag", "list-dag")));
        var graph = ProjectGraph.Build(result.Projects);

        // "List with dependencies in long format": `unit  <path>  <deps, comma separated>`.
        var list = ExpectationsFile("integration_list_test.go.txt");
        var table = Regex.Match(list, @"expected: `Type  Path\s+Dependencies\n(.*?)`", RegexOptions.Singleline).Groups[1].Value;
        var units = table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("unit", StringComparison.Ordinal)).ToArray();
        units.Length.ShouldBe(6);
        result.Projects.Select(p => p.Name).ShouldBe(units.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).Order(StringComparer.Ordinal));
        foreach (var line in units)
        {
            var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            var expected = parts.Length > 2 ? parts[2].Split(", ").Order().ToArray() : [];
            graph.DependenciesOf(parts[1]).Select(e => e.To).Order().ToArray().ShouldBe(expected, parts[1]);
        }
    }

    [FixtureTheory]
    [InlineData("eks", new[] { "services/eks-service-1", "services/eks-service-2", "services/eks-service-2-v2", "services/eks-service-3", "services/eks-service-3-v2", "services/eks-service-3-v3", "services/eks-service-4", "services/eks-service-5" })]
    [InlineData("services/lambda-service-1", new[] { "services/lambda-service-2" })]
    [InlineData("services/eks-service-3", new[] { "services/eks-service-3-v2", "services/eks-service-3-v3", "services/eks-service-4" })]
    public void Graph_dependents_match_terragrunts_destroy_graph_without_any_planbot_yaml(string unit, string[] dependents)
    {
        var expectations = File.ReadAllText(Fixtures.Path("repos", "terragrunt-graph", "_expectations", "integration_graph_test.go.txt"));
        dependents.ShouldAllBe(d => expectations.Contains($"\"{d}\"", StringComparison.Ordinal));
        var result = Discover(MemoryFileTree.FromDirectory(Fixtures.Path("repos", "terragrunt-graph")));
        var graph = ProjectGraph.Build(result.Projects);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var project in result.Projects.Where(p => p.Name != unit && !found.Contains(p.Name)))
            {
                if (graph.DependenciesOf(project.Name).Any(e => e.To == unit || found.Contains(e.To)))
                {
                    grew = found.Add(project.Name);
                }
            }
        }

        found.ShouldBe(dependents.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_units_terraform_source_makes_it_a_caller_of_that_module_and_catalog_modules_are_not_projects()
    {
        var tree = new MemoryFileTree(new Dictionary<string, string>
        {
            ["root.hcl"] = "remote_state {\n  backend = \"s3\"\n}\n",
            ["live/prod/vpc/terragrunt.hcl"] = "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\nterraform {\n  source = \"../../../catalog//vpc\"\n}\n",
            ["live/prod/app/terragrunt.hcl"] = "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\nterraform {\n  source = \"../../../catalog/app\"\n}\ndependency \"vpc\" {\n  config_path = \"../vpc\"\n}\n",
            ["catalog/vpc/main.tf"] = "module \"subnets\" {\n  source = \"../subnets\"\n}\n",
            ["catalog/subnets/main.tf"] = "resource \"terraform_data\" \"s\" {}\n",
            ["catalog/app/main.tf"] = "resource \"terraform_data\" \"a\" {}\n",
        });
        var result = Discover(tree);
        result.Projects.Select(p => p.Name).ShouldBe(["live/prod/app", "live/prod/vpc"]);
        result.Projects.ShouldAllBe(p => p.Terragrunt);
        result.Find("live/prod/app")!.DependsOn.ShouldBe(["live/prod/vpc"]);

        string[] Affected(string file) => ChangeDetector.Detect(result, [new ChangedFile(file, FileChangeKind.Modified)]).Affected.Select(a => a.Project.Name).ToArray();
        Affected("catalog/vpc/main.tf").ShouldBe(["live/prod/vpc"]);
        Affected("catalog/subnets/main.tf").ShouldBe(["live/prod/vpc"], "modules the source module calls count too");
        Affected("catalog/app/main.tf").ShouldBe(["live/prod/app"]);
        Affected("root.hcl").ShouldBe(["live/prod/app", "live/prod/vpc"], "an included file is part of each unit");
        Affected("live/prod/vpc/terragrunt.hcl").ShouldBe(["live/prod/vpc"]);
        var off = Discover(tree, "autoplan: { modules: false }\n");
        ChangeDetector.Detect(off, [new ChangedFile("catalog/vpc/main.tf", FileChangeKind.Modified)]).Affected.ShouldBeEmpty("autoplan.modules: false stops following terraform.source too");
    }

    [Fact]
    public void A_root_terragrunt_hcl_that_units_include_is_shared_configuration_not_a_unit()
    {
        var tree = new MemoryFileTree(new Dictionary<string, string>
        {
            ["terragrunt.hcl"] = "remote_state {\n  backend = \"s3\"\n}\n",
            ["dev/terragrunt.hcl"] = "include {\n  path = find_in_parent_folders()\n}\n",
            ["prod/terragrunt.hcl"] = "include {\n  path = find_in_parent_folders()\n}\ndependencies {\n  paths = [\"../dev\"]\n}\n",
        });
        var result = Discover(tree);
        result.Projects.Select(p => p.Name).ShouldBe(["dev", "prod"]);
        result.Find("prod")!.DependsOn.ShouldBe(["dev"]);
        ChangeDetector.Detect(result, [new ChangedFile("terragrunt.hcl", FileChangeKind.Modified)]).Affected.Select(a => a.Project.Name).ShouldBe(["dev", "prod"]);
    }

    [Fact]
    public void Unreadable_or_dangling_dependencies_are_warnings_and_the_unit_is_still_planned()
    {
        var tree = new MemoryFileTree(new Dictionary<string, string>
        {
            ["a/terragrunt.hcl"] = "dependency \"x\" {\n  config_path = \"${get_repo_root()}/b\"\n}\ndependency \"gone\" {\n  config_path = \"../missing\"\n}\ndependency \"out\" {\n  config_path = \"../../../outside\"\n}\n",
        });
        var result = Discover(tree);
        result.Projects.Single().Name.ShouldBe("a");
        result.Projects.Single().DependsOn.ShouldBeEmpty();
        result.Warnings.ShouldContain(w => w.StartsWith("a/terragrunt.hcl:1: dependency \"x\" config_path is not a literal path", StringComparison.Ordinal));
        result.Warnings.ShouldContain(w => w.Contains("dependency 'missing' is not a project", StringComparison.Ordinal));
        result.Warnings.ShouldContain(w => w.Contains("'../../../outside' leaves the repository", StringComparison.Ordinal));
        ProjectGraph.Build(result.Projects).Nodes.ShouldBe(["a"]);
    }

    [FixtureFact]
    public void Tfactions_terragrunt_units_call_their_shared_module()
    {
        var result = Discover(MemoryFileTree.FromDirectory(Fixtures.Path("repos", "tfaction-tests", "terragrunt")));
        result.Projects.Select(p => p.Name).ShouldBe(["zoo", "zoo-2"]);
        ChangeDetector.Detect(result, [new ChangedFile("module/main.tf", FileChangeKind.Modified)]).Affected.Select(a => a.Project.Name).ShouldBe(["zoo", "zoo-2"]);
    }
}
