using PlanBot.Core.Discovery;
using PlanBot.Core.Graph;
using PlanBot.Core.Plans;
using PlanBot.Core.Runs;
using PlanBot.Core.Workflows;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>What the plan comment says the merge re-plans after which upstream (the graph the merge apply walks).</summary>
public sealed class MergeDependentsTests
{
    private static readonly ProjectGraph Graph = ProjectGraph.Build(
    [
        new Project { Name = "network", Dir = "network" },
        new Project { Name = "app", Dir = "app", DependsOn = ["network"] },
        new Project { Name = "db", Dir = "db", DependsOn = ["network"] },
        new Project { Name = "web", Dir = "web", DependsOn = ["app"] },
        new Project { Name = "other", Dir = "other" },
    ]);

    private static ProjectResult Planned(string name, bool changes) => new()
    {
        Project = new Project { Name = name, Dir = name },
        Status = changes ? ProjectStatus.Planned : ProjectStatus.NoChanges,
        Plan = PlanReader.ReadDetailed(System.Text.Encoding.UTF8.GetBytes(changes ? FakeTerraform.PlanWith(("terraform_data.x", "update")) : FakeTerraform.EmptyPlan), "plan.json", []),
    };

    private static RunReport Report(params ProjectResult[] projects) => new() { Head = "h", Base = "b", Projects = projects };

    [Fact]
    public void Readers_of_a_changed_project_are_listed_whether_the_pr_touched_them_or_not()
    {
        var after = MergeDependents.For(Graph, Report(Planned("network", true), Planned("db", false)), applyDependents: false)!;
        after.Replans.ShouldBe([new("network", "app", "depends_on", false), new("network", "db", "depends_on", true)]);
        after.ApplyDependents.ShouldBeFalse();
    }

    [Fact]
    public void With_apply_dependents_apply_the_readers_of_a_dependent_follow_it()
    {
        var after = MergeDependents.For(Graph, Report(Planned("network", true)), applyDependents: true)!;
        after.Replans.Select(r => (r.Upstream, r.Dependent)).ShouldBe([("network", "app"), ("network", "db"), ("app", "web")]);
    }

    [Fact]
    public void A_project_without_changes_applies_nothing_so_nothing_is_re_planned_after_it()
    {
        MergeDependents.For(Graph, Report(Planned("network", false), Planned("other", true)), applyDependents: true).ShouldBeNull();
    }
}
