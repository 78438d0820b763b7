using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Graph;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Graph;

public class ProjectGraphTests
{
    private static ProjectGraph Build(Dictionary<string, string> files, string? yaml = null)
    {
        var config = yaml is null ? PlanBotConfig.Default : ConfigLoader.Parse("planbot.yaml", yaml);
        return ProjectGraph.Build(ProjectDiscovery.Discover(new MemoryFileTree(files), config).Projects);
    }

    private static string RemoteState(string backend, string config) =>
        $"data \"terraform_remote_state\" \"x\" {{\n  backend = \"{backend}\"\n  config = {{\n{config}\n  }}\n}}\n";

    [Fact]
    public void Remote_state_edges_match_local_s3_and_azurerm_backends()
    {
        var graph = Build(new()
        {
            ["net/main.tf"] = "terraform {\n  backend \"local\" {\n    path = \"state/net.tfstate\"\n  }\n}",
            ["app/main.tf"] = RemoteState("local", "path = \"../net/state/net.tfstate\""),
            ["s3net/main.tf"] = "terraform {\n  backend \"s3\" {\n    bucket = \"tf\"\n    key = \"net\"\n  }\n}",
            ["s3app/main.tf"] = RemoteState("s3", "bucket = \"tf\"\n    key = \"net\"\n    region = \"eu-west-1\""),
            ["aznet/main.tf"] = "terraform {\n  backend \"azurerm\" {\n    storage_account_name = \"sa\"\n    container_name = \"c\"\n    key = \"net\"\n  }\n}",
            ["azapp/main.tf"] = RemoteState("azurerm", "storage_account_name = \"sa\"\n    container_name = \"c\"\n    key = \"net\""),
            ["other/main.tf"] = RemoteState("s3", "bucket = \"elsewhere\"\n    key = \"net\""),
        });
        graph.DependenciesOf("app").Single().ShouldBe(new DependencyEdge("app", "net", "terraform_remote_state.x"));
        graph.DependenciesOf("s3app").Single().To.ShouldBe("s3net");
        graph.DependenciesOf("azapp").Single().To.ShouldBe("aznet");
        graph.DependenciesOf("other").ShouldBeEmpty();
    }

    [Fact]
    public void Remote_state_with_run_time_values_is_a_warning_not_an_edge()
    {
        var graph = Build(new() { ["app/main.tf"] = RemoteState("s3", "bucket = var.bucket\n    key = \"k\"") });
        graph.DependenciesOf("app").ShouldBeEmpty();
        graph.Warnings.Single().ShouldContain("add depends_on in planbot.yaml");
    }

    private static readonly Dictionary<string, string> Chain = new()
    {
        ["a/main.tf"] = "", ["b/main.tf"] = "", ["c/main.tf"] = "", ["d/main.tf"] = "",
    };

    [Fact]
    public void Levels_follow_depends_on_and_pass_order_through_unselected_projects()
    {
        var graph = Build(Chain, "projects:\n  - dir: a\n  - dir: b\n    depends_on: [a]\n  - dir: c\n    depends_on: [b]\n  - dir: d\n");
        graph.Levels(["a", "b", "c", "d"]).ShouldBe([["a", "d"], ["b"], ["c"]]);
        graph.Levels(["a", "c"]).ShouldBe([["a"], ["c"]]);
        graph.SelectedDependencies("c", new HashSet<string> { "a", "c" }).ShouldBe(["a"]);
    }

    [Fact]
    public void A_cycle_is_a_configuration_error_naming_every_project_in_it()
    {
        var error = Should.Throw<ConfigException>(() => Build(Chain, "projects:\n  - dir: a\n    depends_on: [c]\n  - dir: b\n    depends_on: [a]\n  - dir: c\n    depends_on: [b]\n  - dir: d\n"));
        error.Message.ShouldBe("dependency cycle: a → b → c → a; break it by removing a depends_on or a terraform_remote_state between these projects");
    }

    [Fact]
    public void An_unknown_depends_on_names_the_known_projects()
    {
        var error = Should.Throw<ConfigException>(() => Build(Chain, "projects:\n  - dir: a\n    depends_on: [nope]\n"));
        error.Message.ShouldContain("project 'a' depends_on 'nope', which is not a project; known projects: a, b, c, d");
    }
}
