using System.Text;
using System.Text.Json;
using PlanBot.Core.Plans;
using PlanBot.Core.Plans.Values;
using PlanBot.Core.Rendering;
using PlanBot.Core.Tests.Rendering;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Plans;

/// <summary>
/// The one-pass reader of a rendered plan (<see cref="PlanStream"/>): it finds the sensitive values a
/// parse of the whole document finds, and refuses what that parse refused, in the same words.
/// </summary>
public class PlanStreamTests
{
    public static TheoryData<string, string> Corpus() => PlanCorpusTests.Corpus();

    [FixtureTheory]
    [MemberData(nameof(Corpus))]
    public void It_collects_the_sensitive_values_a_whole_document_walk_collects(string file, string actions)
    {
        _ = actions;
        var bytes = File.ReadAllBytes(Fixtures.Path("plans", file));
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = PlanReader.MaxDepth });
        }
        catch (JsonException)
        {
            Should.Throw<JsonException>(() => PlanStream.Read(bytes)); // not JSON to either
            return;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return; // not a plan: refused by both (PlanCorpusTests)
            }

            PlanStream stream;
            try
            {
                stream = PlanStream.Read(bytes);
            }
            catch (JsonException)
            {
                return; // a field of the wrong type: PlanCorpusTests compares the refusals
            }

            stream.Sensitive.OrderBy(s => s, StringComparer.Ordinal).ShouldBe(SensitiveValues.Collect(document.RootElement).OrderBy(s => s, StringComparer.Ordinal));
        }
    }

    [Fact]
    public void The_generated_plans_sensitive_values_match_too()
    {
        var bytes = Encoding.UTF8.GetBytes(PlanGenerator.Plan(30));
        using var document = JsonDocument.Parse(bytes);
        var found = PlanStream.Read(bytes).Sensitive;
        found.ShouldContain(PlanGenerator.Secret);
        found.OrderBy(s => s, StringComparer.Ordinal).ShouldBe(SensitiveValues.Collect(document.RootElement).OrderBy(s => s, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("", "plan.json:1: not a valid terraform plan JSON document")]
    [InlineData("{\"format_version\":\"1.2\",\n\"resource_changes\":[", "plan.json:2: not a valid terraform plan JSON document")]
    [InlineData("{\"format_version\":\"1.2\"} trailing", "plan.json:1: not a valid terraform plan JSON document")]
    [InlineData("{\"format_version\":\"1.2\", /* comment */ \"errored\":false}", "plan.json:1: not a valid terraform plan JSON document")]
    public void Malformed_json_is_one_line_naming_the_document_and_line(string json, string start)
    {
        var error = Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []));
        error.Message.ShouldStartWith(start);
        error.Message.ShouldContain("terraform show -json");
        error.Message.ShouldNotContain("\n");
    }

    [Theory]
    [InlineData("\"address\":\"a\\ud800\",\"change\":{\"actions\":[\"create\"]}")]
    [InlineData("\"address\":\"a\",\"change\":{\"actions\":[\"create\"],\"after\":{\"\\udc00\":1}}")]
    [InlineData("\"address\":\"a\",\"change\":{\"actions\":[\"delete\",\"create\"],\"replace_paths\":[[\"\\ud800\"]]}")]
    public void A_string_with_a_lone_surrogate_is_a_format_error_not_a_crash(string change)
    {
        var json = "{\"format_version\":\"1.2\",\"resource_changes\":[{" + change + "}]}";
        var error = Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []));
        error.Message.ShouldStartWith("plan.json: not a valid terraform plan JSON document (a string is not valid UTF-8");
        error.Message.ShouldNotContain("\n");
    }

    [Fact]
    public async Task A_string_of_invalid_utf8_is_a_format_error_to_both_readers()
    {
        var json = Encoding.UTF8.GetBytes("{\"format_version\":\"1.2\",\"resource_changes\":[{\"address\":\"a\",\"change\":{\"actions\":[\"create\"],\"after\":\"--\"}}]}");
        json[^7] = 0xff;
        json[^6] = 0xfe;
        Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(json, "plan.json", [])).Message.ShouldStartWith("plan.json");
        (await Should.ThrowAsync<PlanFormatException>(() => PlanReader.ReadAsync(new MemoryStream(json), "plan.json"))).Message.ShouldStartWith("plan.json");
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_named_by_its_path()
    {
        var json = """{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["create"]}},{"address":5}]}""";
        var error = Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []));
        error.Message.ShouldBe("plan.json: not a valid terraform plan JSON document at $.resource_changes[1].address (expected a string, found Number); produce it with `terraform show -json PLANFILE`");
    }

    [Fact]
    public void A_syntax_error_later_in_the_file_wins_over_a_wrong_type_before_it()
    {
        // as when the whole document was parsed first: a file that is not JSON is reported as such
        var json = "{\"format_version\":\"1.2\",\"resource_changes\":[{\"address\":5}],\n\"planned_values\":{\"x\":[}";
        var error = Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []));
        error.Message.ShouldStartWith("plan.json:2: not a valid terraform plan JSON document");
    }

    [Fact]
    public void A_value_nesting_too_deep_inside_the_state_is_refused_though_the_state_is_only_scanned()
    {
        var json = "{\"format_version\":\"1.2\",\"prior_state\":{\"values\":" + new string('[', PlanReader.MaxDepth + 5) + new string(']', PlanReader.MaxDepth + 5) + "}}";
        var error = Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []));
        error.Message.ShouldStartWith("plan.json:1: a value nests more than 1000 levels deep");
    }

    [Fact]
    public void A_huge_string_is_read_and_shown_cut_not_whole()
    {
        var huge = new string('x', 8_000_000);
        var json = "{\"format_version\":\"1.2\",\"resource_changes\":[{\"address\":\"a.b\",\"change\":{\"actions\":[\"update\"],\"before\":{\"s\":\"" + huge +
                   "\"},\"after\":{\"s\":\"" + huge + "y\"}}}]}";
        var plan = PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []);
        var comment = string.Concat(MarkdownComment.Render(RenderHelpers.Report(RenderHelpers.Planned("p", plan)), new CommentOptions()));
        comment.ShouldContain("a.b");
        comment.Length.ShouldBeLessThan(700_000);
    }

    [Fact]
    public void The_last_of_a_repeated_key_wins()
    {
        var json = """{"format_version":"0.1","resource_changes":[{"address":"old.x","change":{"actions":["delete"]}}],"format_version":"1.2","resource_changes":[{"address":"new.x","change":{"actions":["create"],"after":{"v":1}}}]}""";
        var plan = PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []);
        plan.FormatVersion.ShouldBe("1.2");
        plan.Changes.Select(c => c.Address).ShouldBe(["new.x"]);
        plan.Details!.ResourceDiff(plan.Changes[0]).ShouldBe(["+ v = 1"]);
    }

    [Fact]
    public void A_value_marked_only_in_state_or_as_a_variable_declared_after_it_is_masked_in_every_diff()
    {
        var json = """
            {"format_version":"1.2",
             "variables":{"token":{"value":"variable-secret-1"}},
             "resource_changes":[{"address":"a.b","change":{"actions":["update"],"before":{"p":"state-secret-1","t":"x"},"after":{"p":"state-secret-2","t":"variable-secret-1"}}}],
             "prior_state":{"values":{"root_module":{"child_modules":[{"resources":[{"address":"a.b","values":{"p":"state-secret-1"},"sensitive_values":{"p":true}}]}]}}},
             "planned_values":{"root_module":{"resources":[{"address":"a.b","values":{"p":"state-secret-2"},"sensitive_values":{}}]}},
             "configuration":{"root_module":{"variables":{"token":{"sensitive":true}}}}}
            """;
        var plan = PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []);
        var diff = string.Join("\n", plan.Details!.ResourceDiff(plan.Changes[0]));
        diff.ShouldNotContain("state-secret-1");
        diff.ShouldNotContain("variable-secret-1");
        diff.ShouldContain("state-secret-2"); // its sensitive_values mark nothing: not a secret
        plan.Details.MaskedValues.ShouldBe(2);
    }
}
