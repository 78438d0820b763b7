using PlanBot.Core.Plans;
using PlanBot.Core.Rendering;
using PlanBot.Core.Tests.Plans;
using PlanBot.Testing;
using static PlanBot.Core.Tests.Rendering.RenderHelpers;

namespace PlanBot.Core.Tests.Rendering;

/// <summary>
/// The comment asks a lower bound whether a section at full detail fits before it computes diffs
/// (<see cref="ProjectSection.FullSizeAtLeast"/>, issue 19). A bound above the true size would drop
/// diffs that fit, so it must never exceed the exact size: on every corpus plan and generated plans
/// with outputs, drift, failures and multi-line values.
/// </summary>
public class SectionSizeBoundTests
{
    public static TheoryData<string, string> Corpus() => PlanCorpusTests.Corpus();

    [FixtureTheory]
    [MemberData(nameof(Corpus))]
    public void The_bound_never_exceeds_the_full_size_of_a_corpus_plan(string file, string actions)
    {
        _ = actions;
        PlanSummary plan;
        try
        {
            plan = PlanReader.ReadDetailed(File.ReadAllBytes(Fixtures.Path("plans", file)), file, []);
        }
        catch (PlanFormatException)
        {
            return; // refused (PlanCorpusTests)
        }

        Bounded(plan, file);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(120)]
    public void The_bound_never_exceeds_the_full_size_of_a_generated_plan(int resources)
    {
        Bounded(Read(PlanGenerator.Plan(resources)), $"{resources} resources");
        Bounded(Read(PlanGenerator.Plan(resources, policyBytes: 3_000)), $"{resources} resources with policies");
    }

    [Fact]
    public void Many_outputs_listed_longer_than_their_diffs_keep_the_bound_below_the_size()
    {
        // the outputs line names every output; at full detail a short diff replaces it
        var outputs = string.Join(",", Enumerable.Range(0, 200).Select(i => $"\"a_rather_long_output_name_number_{i}\":{{\"actions\":[\"create\"],\"before\":null,\"after\":{i}}}"));
        var plan = Read("{\"format_version\":\"1.2\",\"resource_changes\":[{\"address\":\"a.b\",\"change\":{\"actions\":[\"create\"],\"after\":{}}}],\"output_changes\":{" + outputs + "}}");
        Bounded(plan, "outputs");
    }

    private static void Bounded(PlanSummary plan, string what)
    {
        var section = new ProjectSection(Planned("project", plan), new CommentOptions());
        var full = section.Size(DetailLevel.Full, long.MaxValue);
        section.FullSizeAtLeast(long.MaxValue).ShouldBeLessThanOrEqualTo(full, what);
        if (plan.Changes.Count >= 10 && plan.OutputChanges.Count < 5)
        {
            // and it is of use where resources make the section: beyond half the address list
            var half = section.Size(DetailLevel.Addresses, long.MaxValue) / 2;
            section.FullSizeAtLeast(half).ShouldBeGreaterThan(half, what);
        }
    }
}
