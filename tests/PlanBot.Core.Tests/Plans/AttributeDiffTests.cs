using System.Text.Json;
using PlanBot.Core.Plans.Values;

namespace PlanBot.Core.Tests.Plans;

public class AttributeDiffTests
{
    private static string[] Diff(string change, params string[] secrets)
    {
        using var doc = JsonDocument.Parse(change);
        var scrubber = new SecretScrubber(secrets, []);
        return [.. AttributeDiff.ForChange(doc.RootElement, scrubber, showUnchangedCount: true)];
    }

    [Fact]
    public void A_create_lists_every_set_attribute_and_unknowns_but_not_nulls()
    {
        Diff("""{"before":null,"after":{"ami":"ami-1","count":2,"on":true,"gone":null,"tags":{"Name":"web"}},"after_unknown":{"id":true}}""")
            .ShouldBe(["+ ami = \"ami-1\"", "+ count = 2", "+ id = (known after apply)", "+ on = true", "+ tags.Name = \"web\""]);
    }

    [Fact]
    public void An_update_shows_changed_leaves_by_path_and_counts_the_unchanged()
    {
        Diff("""{"before":{"a":"x","tags":{"Name":"web","Team":"old"},"n":1},"after":{"a":"x","tags":{"Name":"web","Team":"new","kubernetes.io/role":"y"},"n":null}}""")
            .ShouldBe(["- n = 1", "~ tags.Team = \"old\" -> \"new\"", "+ tags[\"kubernetes.io/role\"] = \"y\"", "  # (2 unchanged attributes hidden)"]);
    }

    [Fact]
    public void List_elements_are_matched_by_identity_not_by_index()
    {
        Diff("""{"before":{"rule":[{"name":"ssh","port":22},{"name":"web","port":80}]},"after":{"rule":[{"name":"web","port":8080},{"name":"db","port":5432}]}}""")
            .ShouldBe([
                "~ rule[name=\"web\"].port = 80 -> 8080",
                "+ rule[name=\"db\"].name = \"db\"",
                "+ rule[name=\"db\"].port = 5432",
                "- rule[name=\"ssh\"].name = \"ssh\"",
                "- rule[name=\"ssh\"].port = 22",
                "  # (1 unchanged attribute hidden)",
            ]);
    }

    [Fact]
    public void Lists_of_scalars_show_insertions_and_removals_not_a_shifted_index_diff()
    {
        Diff("""{"before":{"l":["one","two","three"]},"after":{"l":["one","four","three","five"]}}""")
            .ShouldBe(["- l[1] = \"two\"", "+ l[1] = \"four\"", "+ l[3] = \"five\"", "  # (2 unchanged attributes hidden)"]);
    }

    [Fact]
    public void Sensitive_values_are_masked_on_both_sides_and_unknowns_shown()
    {
        var lines = Diff("""
            {"before":{"password":"hunter2-old","token":"t","list":["a","b"]},"after":{"password":"hunter2-new","token":"t","list":["a","c"]},
             "after_unknown":{"id":true},"before_sensitive":{"password":true,"token":true,"list":[false,true]},"after_sensitive":{"password":true,"token":true,"list":[false,true]}}
            """);
        lines.ShouldBe(["+ id = (known after apply)", "~ list[1] = (sensitive)", "~ password = (sensitive)", "  # (2 unchanged attributes hidden)"]);
        string.Join("\n", lines).ShouldNotContain("hunter2");
    }

    [Fact]
    public void Values_marked_sensitive_elsewhere_are_masked_where_terraform_does_not_mark_them()
    {
        Diff("""{"before":null,"after":{"input":"Sup3r-Secret!","output":"Sup3r-Secret!","url":"pg://u:Sup3r-Secret!@h"}}""", "Sup3r-Secret!")
            .ShouldBe(["+ input = (sensitive)", "+ output = (sensitive)", "+ url = \"pg://u:(sensitive)@h\""]);
    }

    [Fact]
    public void Attributes_that_force_a_replacement_are_marked()
    {
        Diff("""{"before":{"ami":"a","tags":{"n":"1"}},"after":{"ami":"b","tags":{"n":"2"}},"replace_paths":[["ami"]]}""")
            .ShouldBe(["~ ami = \"a\" -> \"b\"  # forces replacement", "~ tags.n = \"1\" -> \"2\""]);
    }

    [Fact]
    public void A_json_document_string_is_shown_as_a_line_diff_of_its_pretty_printed_form()
    {
        var before = JsonSerializer.Serialize("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}""");
        var after = JsonSerializer.Serialize("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}]}""");
        var lines = Diff($$"""{"before":{"policy":{{before}} },"after":{"policy":{{after}} } }""");
        lines[0].ShouldBe("~ policy = (JSON, 2 lines changed):");
        lines.ShouldContain("-           \"Action\": \"s3:GetObject\",");
        lines.ShouldContain("+           \"Action\": \"s3:*\",");
        lines.ShouldContain("            \"Effect\": \"Allow\",");
    }

    [Fact]
    public void Multi_line_text_is_diffed_by_line_with_unchanged_runs_collapsed()
    {
        var before = string.Join("\\n", Enumerable.Range(1, 20).Select(i => $"line {i}"));
        var after = before.Replace("line 10", "line ten", StringComparison.Ordinal);
        var lines = Diff($$"""{"before":{"user_data":"{{before}}"},"after":{"user_data":"{{after}}"} }""");
        lines.ShouldBe([
            "~ user_data = (text, 2 lines changed):",
            "      … (6 unchanged lines)",
            "      line 7", "      line 8", "      line 9",
            "-     line 10",
            "+     line ten",
            "      line 11", "      line 12", "      line 13",
            "      … (7 unchanged lines)",
        ]);
    }

    [Fact]
    public void A_whole_object_becoming_unknown_and_a_kind_change_are_one_line_each()
    {
        Diff("""{"before":{"o":{"a":1},"k":"x"},"after":{"k":["x"]},"after_unknown":{"o":true}}""")
            .ShouldBe(["~ k = \"x\" -> […]", "~ o = {…} -> (known after apply)"]);
    }

    [Fact]
    public void Output_changes_are_diffed_under_their_name()
    {
        using var doc = JsonDocument.Parse("""{"before":"a","after":"b","after_unknown":false,"before_sensitive":false,"after_sensitive":false}""");
        AttributeDiff.ForOutput("endpoint", doc.RootElement, SecretScrubber.None).ShouldBe(["~ endpoint = \"a\" -> \"b\""]);
    }
}
