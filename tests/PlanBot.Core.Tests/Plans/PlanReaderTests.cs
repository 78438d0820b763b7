using System.Text;
using PlanBot.Core.Plans;

namespace PlanBot.Core.Tests.Plans;

public class PlanReaderTests
{
    private static Task<PlanSummary> Read(string json) =>
        PlanReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), "plan.json");

    [Fact]
    public async Task Counts_each_action_as_the_product_contract_defines()
    {
        var plan = await Read("""
            {"format_version":"1.2","resource_changes":[
              {"address":"a.create","type":"a","change":{"actions":["create"]}},
              {"address":"a.update","type":"a","change":{"actions":["update"]}},
              {"address":"a.delete","type":"a","change":{"actions":["delete"]},"action_reason":"delete_because_no_resource_config"},
              {"address":"a.dc","type":"a","change":{"actions":["delete","create"],"replace_paths":[["input"],["tags",0]]}},
              {"address":"a.cd","type":"a","change":{"actions":["create","delete"]}},
              {"address":"data.a.read","mode":"data","type":"a","change":{"actions":["read"]}},
              {"address":"a.noop","type":"a","change":{"actions":["no-op"]}},
              {"address":"a.moved","previous_address":"a.old","type":"a","change":{"actions":["no-op"]}},
              {"address":"a.imported","type":"a","change":{"actions":["no-op"],"importing":{"id":"i-1"}}},
              {"address":"a.forgotten","type":"a","change":{"actions":["forget"]}}
            ],
            "output_changes":{"o":{"actions":["update"],"before_sensitive":true},"same":{"actions":["no-op"]}},
            "resource_drift":[{"address":"a.drift","type":"a","change":{"actions":["update"]}}]}
            """);
        plan.Counts.ShouldBe(new ActionCounts { Create = 1, Update = 1, Delete = 1, Replace = 2, Read = 1, Move = 1, Import = 1, Forget = 1 });
        plan.Changes.Count.ShouldBe(9);
        plan.Changes.Single(c => c.Address == "a.dc").ReplacePaths.ShouldBe(["input", "tags[0]"]);
        plan.OutputChanges.Single().ShouldBe(new OutputChange("o", ChangeAction.Update, true));
        plan.Drift.Single().Address.ShouldBe("a.drift");
        plan.HasChanges.ShouldBeTrue();
    }

    [Fact]
    public async Task Absent_resource_changes_mean_no_changes()
    {
        var plan = await Read("""{"format_version":"1.2","applyable":false}""");
        plan.HasChanges.ShouldBeFalse();
        plan.Changes.ShouldBeEmpty();
    }

    [Fact]
    public async Task An_errored_plan_loads_and_says_so()
    {
        (await Read("""{"format_version":"1.2","errored":true,"complete":false}""")).Errored.ShouldBeTrue();
    }

    [Theory]
    [InlineData("{", "plan.json:1: not a valid terraform plan JSON document")]
    [InlineData("null", "the document is 'null'")]
    [InlineData("{\"resource_changes\":[]}", "no format_version")]
    [InlineData("{\"format_version\":\"2.0\"}", "unsupported format_version '2.0'")]
    [InlineData("{\"format_version\":\"1.0\",\"resource_changes\":\"invalid\"}", "not a valid terraform plan JSON document at $.resource_changes")]
    [InlineData("{\"format_version\":\"1.0\",\"resource_changes\":[{\"address\":\"a.b\",\"change\":{\"actions\":[\"create\",\"update\"]}}]}", "has actions [create, update], which Terraform never produces")]
    [InlineData("{\"format_version\":\"1.0\",\"resource_changes\":[{\"address\":\"a.b\",\"change\":{\"actions\":[\"create\"]}},{\"address\":\"a.b\",\"change\":{\"actions\":[\"create\"]}}]}", "lists a.b twice")]
    [InlineData("{\"format_version\":\"1.0\",\"resource_changes\":[{\"change\":{\"actions\":[\"create\"]}}]}", "has no address")]
    public async Task Broken_documents_give_one_line_naming_the_problem(string json, string message)
    {
        var error = await Should.ThrowAsync<PlanFormatException>(() => Read(json));
        error.Message.ShouldContain(message);
        error.Message.ShouldNotContain("\n");
    }

    /// <summary>Both readers (streamed, and from the parsed document when rendering) refuse a damaged shape with one line, never a crash.</summary>
    [Theory]
    [InlineData("[]", "not a valid terraform plan JSON document")]
    [InlineData("{\"format_version\":\"1.0\",\"errored\":\"yes\"}", "at $.errored")]
    [InlineData("{\"format_version\":1}", "at $.format_version")]
    [InlineData("{\"format_version\":\"1.0\",\"resource_changes\":[null]}", "resource_changes[0] has no address")]
    [InlineData("{\"format_version\":\"1.0\",\"resource_changes\":[{\"address\":5}]}", "at $.resource_changes[0].address")]
    [InlineData("{\"format_version\":\"1.0\",\"resource_changes\":[{\"address\":\"a.b\",\"change\":\"x\"}]}", "a change must be a JSON object")]
    [InlineData("{\"format_version\":\"1.0\",\"resource_changes\":[{\"address\":\"a.b\",\"change\":{\"actions\":\"create\"}}]}", "change.actions must be a list of strings")]
    [InlineData("{\"format_version\":\"1.0\",\"output_changes\":{\"x\":null}}", "output_changes.x is null")]
    [InlineData("{\"format_version\":\"1.0\",\"output_changes\":[]}", "at $.output_changes")]
    [InlineData("{\"format_version\":\"1.0\",\"variables\":{\"a\":1}}", "at $.variables.a")]
    public async Task Both_readers_refuse_damaged_shapes_with_one_line(string json, string message)
    {
        var streamed = await Should.ThrowAsync<PlanFormatException>(() => Read(json));
        var detailed = Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", []));
        foreach (var error in new[] { streamed, detailed })
        {
            error.Message.ShouldStartWith("plan.json");
            error.Message.ShouldNotContain("\n");
        }

        detailed.Message.ShouldContain(message);
    }

    [Fact]
    public async Task The_fingerprint_ignores_order_reads_and_no_ops_but_not_actions_or_values()
    {
        // Approvals bind to the plan's content (issue 16): the fingerprint covers values, not only (address, actions).
        const string a = """{"format_version":"1.2","resource_changes":[{"address":"x.a","type":"x","change":{"actions":["create"],"before":null,"after":{"size":"small"}}},{"address":"x.b","type":"x","change":{"actions":["delete"]}}]}""";
        const string reordered = """{"format_version":"1.2","resource_changes":[{"address":"data.x.r","mode":"data","type":"x","change":{"actions":["read"]}},{"address":"x.b","type":"x","change":{"actions":["delete"]}},{"address":"x.c","type":"x","change":{"actions":["no-op"]}},{"address":"x.a","type":"x","change":{"after":{"size":"small"},"actions":["create"]}}]}""";
        const string different = """{"format_version":"1.2","resource_changes":[{"address":"x.a","type":"x","change":{"actions":["create"],"after":{"size":"small"}}},{"address":"x.b","type":"x","change":{"actions":["delete","create"]}}]}""";
        const string otherValue = """{"format_version":"1.2","resource_changes":[{"address":"x.a","type":"x","change":{"actions":["create"],"after":{"size":"xlarge"}}},{"address":"x.b","type":"x","change":{"actions":["delete"]}}]}""";
        var fingerprint = (await Read(a)).Fingerprint;
        (await Read(reordered)).Fingerprint.ShouldBe(fingerprint);
        (await Read(different)).Fingerprint.ShouldNotBe(fingerprint);
        (await Read(otherValue)).Fingerprint.ShouldNotBe(fingerprint);
        fingerprint.ShouldMatch("^v2:[0-9a-f]{64}$");
    }
}
