using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Discovery.Hcl;
using PlanBot.Core.Graph;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Graph;

/// <summary>
/// Local state paths as terraform resolves them: relative to the project dir, or absolute as
/// written. An absolute <c>path</c> shared by a backend and a terraform_remote_state is one state,
/// wherever the two projects live (issue 14: the project dir was prepended to it, so no edge).
/// </summary>
public class StateAddressTests
{
    /// <summary>A backend's config block as discovery reads it (`path = "…"` lines).</summary>
    private static HclObject Config(string body) =>
        new([.. HclParser.Parse("main.tf", $"terraform {{\n  backend \"local\" {{\n{body}\n  }}\n}}\n").Body.Blocks.Single().Body.Blocks.Single().Body.Attributes
            .Select(a => new KeyValuePair<string, HclValue>(a.Name, a.Value))]);

    [Theory]
    [InlineData("path = \"/srv/state/net.tfstate\"", "envs/prod/net", "local:/srv/state/net.tfstate")]
    [InlineData("path = \"/srv/state/../state/./net.tfstate\"", "app", "local:/srv/state/net.tfstate")]
    [InlineData("path = \"//srv//state/net.tfstate\"", "app", "local:/srv/state/net.tfstate")]
    [InlineData("path = \"state/net.tfstate\"", "envs/net", "local:envs/net/state/net.tfstate")]
    [InlineData("path = \"../net/terraform.tfstate\"", "envs/app", "local:envs/net/terraform.tfstate")]
    [InlineData("", "net", "local:net/terraform.tfstate")]
    public void A_local_path_is_absolute_as_written_or_relative_to_the_project_dir(string body, string dir, string address)
    {
        StateAddress.For("local", Config(body), dir, "default").ShouldBe(address);
    }

    [Fact]
    public void An_absolute_path_in_a_non_default_workspace_keeps_its_own_dir()
    {
        StateAddress.For("local", Config("path = \"/srv/state/net.tfstate\"\nworkspace_dir = \"/srv/ws\""), "net", "blue").ShouldBe("local:/srv/ws/blue/net.tfstate");
    }

    [Fact]
    public void A_remote_state_read_by_absolute_path_depends_on_the_project_writing_it()
    {
        var files = new Dictionary<string, string>
        {
            ["network/main.tf"] = "terraform {\n  backend \"local\" {\n    path = \"/var/lib/tf/network.tfstate\"\n  }\n}",
            ["apps/web/main.tf"] = "terraform {\n  backend \"local\" {}\n}\ndata \"terraform_remote_state\" \"net\" {\n  backend = \"local\"\n  config = {\n    path = \"/var/lib/tf/network.tfstate\"\n  }\n}",
            ["apps/api/main.tf"] = "terraform {\n  backend \"local\" {}\n}\ndata \"terraform_remote_state\" \"net\" {\n  backend = \"local\"\n  config = {\n    path = \"/var/lib/tf/other.tfstate\"\n  }\n}",
        };
        var graph = ProjectGraph.Build(ProjectDiscovery.Discover(new MemoryFileTree(files), PlanBotConfig.Default).Projects);
        graph.DependenciesOf("apps/web").ShouldBe([new DependencyEdge("apps/web", "network", "terraform_remote_state.net")]);
        graph.DependenciesOf("apps/api").ShouldBeEmpty("no project writes that state");
    }
}
