using System.Text.Json;
using PlanBot.Core.Plans;
using PlanBot.Core.Plans.Values;
using PlanBot.Core.Rendering;
using PlanBot.Core.Tests.Plans;
using PlanBot.Testing;
using static PlanBot.Core.Tests.Rendering.RenderHelpers;

namespace PlanBot.Core.Tests.Rendering;

/// <summary>Properties of the comment over every plan in ../shared/fixtures/plans.</summary>
public class CorpusRenderingTests
{
    public static TheoryData<string, string> Corpus() => PlanCorpusTests.Corpus();

    [FixtureTheory]
    [MemberData(nameof(Corpus))]
    public void Every_change_appears_no_sensitive_value_leaks_and_every_part_is_balanced_and_fits(string file, string actions)
    {
        _ = actions;
        if (file.Contains(".ARTIFICIAL.", StringComparison.Ordinal) || file.Contains(".INVALID-JSON.", StringComparison.Ordinal))
        {
            return; // refused with one line by the plan reader (PlanCorpusTests)
        }

        var bytes = File.ReadAllBytes(Fixtures.Path("plans", file));
        var plan = PlanReader.ReadDetailed(bytes, file, []);
        using var document = JsonDocument.Parse(bytes);
        var secrets = SensitiveValues.Collect(document.RootElement).Where(s => s.Length >= SecretScrubber.SubstringMinLength).ToArray();

        // The default limits, and a tiny one that forces splitting inside sections and code blocks.
        foreach (var options in new[] { new CommentOptions(), new CommentOptions { MaxChars = 1_500, MaxParts = 1_000 } })
        {
            var parts = MarkdownComment.Render(Report(Planned("project", plan)), options);
            for (var i = 0; i < parts.Count; i++)
            {
                CommentChecks.ShouldBeBalanced(parts[i], options.MaxChars, $"{file} part {i + 1} of {parts.Count} at {options.MaxChars}");
                parts[i].ShouldStartWith(MarkdownComment.PartMarker(i + 1));
            }

            var output = string.Join("\n", parts);
            CommentChecks.ShouldAccountForEveryChange(output, plan.Changes.Select(c => c.Address), notShown: 0);
            foreach (var secret in secrets)
            {
                output.ShouldNotContain(secret, Case.Sensitive, $"{file}: a sensitive value is printed");
            }
        }
    }

    [FixtureFact]
    public void A_real_sensitive_plan_masks_marked_values_and_their_unmarked_copies()
    {
        var plan = PlanReader.ReadDetailed(File.ReadAllBytes(Fixtures.Path("plans", "opentofu", "show-json-sensitive.json")), "sensitive", []);
        var output = string.Join("\n", MarkdownComment.Render(Report(Planned("p", plan)), new CommentOptions()));
        output.ShouldContain("+ password = (sensitive)");
        output.ShouldNotContain("\"secret\"");
        output.ShouldContain("~ test = (sensitive)".Replace("~", "+", StringComparison.Ordinal));
    }
}
