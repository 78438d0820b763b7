using PlanBot.Testing;
using Xunit.Abstractions;

namespace PlanBot.Core.Tests.Discovery;

/// <summary>Atlantis' and tfaction's own expectations about affected projects, one row each (see <see cref="FixtureExpectations"/>).</summary>
public class FixtureExpectationTests(ITestOutputHelper output)
{
    public static TheoryData<string> Rows()
    {
        var data = new TheoryData<string>();
        foreach (var row in FixtureExpectations.All())
        {
            data.Add($"{row.Source}: {row.Name}");
        }

        if (data.Count == 0)
        {
            data.Add("(fixtures absent)");
        }

        return data;
    }

    [FixtureTheory]
    [MemberData(nameof(Rows))]
    public void Planbot_affects_the_projects_the_source_tool_expects(string row)
    {
        var found = FixtureExpectations.All().Single(r => $"{r.Source}: {r.Name}" == row);
        var (expected, actual) = found.Evaluate();
        actual.ShouldBe(expected);
    }

    [FixtureFact]
    public void Every_source_has_its_rows_and_all_match()
    {
        var rows = FixtureExpectations.All();
        var bySource = rows.GroupBy(r => r.Source).ToDictionary(g => g.Key, g => g.ToArray());
        bySource.Keys.Order().ShouldBe(["atlantis", "tfaction"]);
        var misses = new List<string>();
        foreach (var (source, sourceRows) in bySource)
        {
            var matched = 0;
            foreach (var row in sourceRows)
            {
                string outcome;
                try
                {
                    var (expected, actual) = row.Evaluate();
                    outcome = expected == actual ? "match" : $"expected [{expected}] got [{actual}]";
                }
                catch (Exception e) when (e is PlanBot.Core.Config.ConfigException or InvalidOperationException)
                {
                    outcome = "error: " + e.Message.Split('\n')[0];
                }

                if (outcome == "match")
                {
                    matched++;
                }
                else
                {
                    misses.Add($"{source}: {row.Name}: {outcome}");
                }
            }

            output.WriteLine($"{source}: {matched} of {sourceRows.Length} expectations match");
        }

        misses.ForEach(output.WriteLine);
        misses.ShouldBeEmpty();
    }
}
