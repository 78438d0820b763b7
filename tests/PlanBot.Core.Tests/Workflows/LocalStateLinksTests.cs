using PlanBot.Core.Discovery;
using PlanBot.Core.Workflows;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>The catch-up's worktree reaches the checkout's relative local states (real files and symbolic links).</summary>
public sealed class LocalStateLinksTests : IDisposable
{
    private readonly TempDir _dir = new("planbot-state-links");

    public void Dispose() => _dir.Dispose();

    private static DiscoveryResult Projects(params (string Name, string? State)[] projects) =>
        new() { Projects = [.. projects.Select(p => new Project { Name = p.Name, Dir = p.Name, StateAddress = p.State })] };

    [Fact]
    public void A_relative_local_state_in_the_worktree_is_a_link_to_the_checkouts_file_and_an_absolute_or_remote_one_is_left_alone()
    {
        var checkout = _dir.Combine("checkout");
        var tree = _dir.Combine("tree");
        Directory.CreateDirectory(Path.Combine(checkout, "prod"));
        File.WriteAllText(Path.Combine(checkout, "prod", "terraform.tfstate"), "the checkout's state");
        Directory.CreateDirectory(Path.Combine(tree, "prod"));
        File.WriteAllText(Path.Combine(tree, "prod", "terraform.tfstate"), "an old state committed at that commit");

        var problems = LocalStateLinks.Link(Projects(("prod", "local:prod/terraform.tfstate"), ("queue", "local:state/queue.tfstate"), ("abs", "local:/var/state/x.tfstate"), ("s3", "s3:bucket/key"), ("cloud", null)), tree, checkout);

        problems.ShouldBeEmpty();
        File.ReadAllText(Path.Combine(tree, "prod", "terraform.tfstate")).ShouldBe("the checkout's state");
        new FileInfo(Path.Combine(tree, "state", "queue.tfstate")).LinkTarget.ShouldBe(Path.Combine(checkout, "state", "queue.tfstate"));
        File.WriteAllText(Path.Combine(tree, "state", "queue.tfstate"), "written through the link");
        File.ReadAllText(Path.Combine(checkout, "state", "queue.tfstate")).ShouldBe("written through the link");
        Directory.Exists(Path.Combine(tree, "var")).ShouldBeFalse();
    }

    [Fact]
    public void A_relative_path_that_leaves_the_repository_is_named_and_nothing_is_written_outside_the_worktree()
    {
        var problems = LocalStateLinks.Link(Projects(("ext", "local:../outside.tfstate")), _dir.Combine("tree"), _dir.Combine("checkout"));
        problems.ShouldHaveSingleItem().ShouldContain("`ext` keeps its state at `../outside.tfstate`");
        File.Exists(_dir.Combine("outside.tfstate")).ShouldBeFalse();
    }

    [Fact]
    public void In_the_checkout_itself_nothing_is_linked()
    {
        var root = _dir.Combine("checkout");
        Directory.CreateDirectory(root);
        LocalStateLinks.Link(Projects(("prod", "local:prod/terraform.tfstate")), root, root).ShouldBeEmpty();
        Directory.Exists(Path.Combine(root, "prod")).ShouldBeFalse();
    }
}
