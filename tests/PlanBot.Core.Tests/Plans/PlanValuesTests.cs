using System.Text.Json;
using PlanBot.Core.Plans;

namespace PlanBot.Core.Tests.Plans;

/// <summary>What a held-back project's comment names: resources and attribute paths that differ, never values.</summary>
public sealed class PlanValuesTests
{
    private static IReadOnlyDictionary<string, IReadOnlyList<string>> Values(string size, string password = "hunter2", string? extra = null)
    {
        var extraChange = extra is null ? "" : ",{\"address\":\"aws_db_parameter_group." + extra + "\",\"type\":\"aws_db_parameter_group\",\"change\":{\"actions\":[\"create\"],\"before\":null,\"after\":{\"family\":\"postgres16\"}}}";
        using var document = JsonDocument.Parse(
            "{\"format_version\":\"1.2\",\"resource_changes\":[" +
            "{\"address\":\"aws_db_instance.main\",\"type\":\"aws_db_instance\",\"change\":{\"actions\":[\"delete\",\"create\"]," +
            "\"before\":{\"instance_class\":\"db.t3.small\",\"password\":\"old\",\"tags\":{\"team\":\"data\"}}," +
            "\"after\":{\"instance_class\":\"" + size + "\",\"password\":\"" + password + "\",\"tags\":{\"team\":\"data\"}}," +
            "\"after_unknown\":{\"id\":true},\"before_sensitive\":{\"password\":true},\"after_sensitive\":{\"password\":true}}}," +
            "{\"address\":\"aws_s3_bucket.logs\",\"type\":\"aws_s3_bucket\",\"change\":{\"actions\":[\"no-op\"],\"before\":{\"bucket\":\"b\"},\"after\":{\"bucket\":\"b\"}}}" +
            extraChange + "]," +
            "\"output_changes\":{\"endpoint\":{\"actions\":[\"update\"],\"before\":\"a\",\"after\":\"" + size + ".example\"}}}");
        return PlanValues.Read(document);
    }

    [Fact]
    public void One_changed_attribute_is_named_by_its_path_for_the_resource_and_the_output_and_no_op_changes_are_left_out()
    {
        var approved = Values("db.t3.small");
        approved.Keys.ShouldBe(["aws_db_instance.main", "output.endpoint"]);
        PlanValues.Differences(approved, Values("db.t3.xlarge")).ShouldBe(["aws_db_instance.main: instance_class", "output.endpoint: value"]);
        PlanValues.Differences(approved, Values("db.t3.small")).ShouldBeEmpty();
    }

    [Fact]
    public void A_sensitive_value_change_is_not_visible_and_values_never_appear_in_the_differences()
    {
        // the canonical lines hold (sensitive), not the secret: a changed password alone is not nameable (the fingerprint still differs)
        string.Join("\n", Values("x", password: "s3cret").SelectMany(kv => kv.Value)).ShouldNotContain("s3cret");
        var lines = PlanValues.Differences(Values("db.t3.small"), Values("db.t3.xlarge"));
        string.Join("\n", lines).ShouldNotContain("xlarge");
    }

    [Fact]
    public void Resources_only_in_one_plan_are_named_with_their_actions_and_the_list_is_capped()
    {
        PlanValues.Differences(Values("s"), Values("s", extra: "main")).ShouldBe(["aws_db_parameter_group.main: new (create), not in the approved plan"]);
        PlanValues.Differences(Values("s", extra: "main"), Values("s")).ShouldBe(["aws_db_parameter_group.main: in the approved plan, not in the new one"]);

        var many = Enumerable.Range(0, 15).ToDictionary(i => $"r{i:00}", i => (IReadOnlyList<string>)["actions = create", $"after.v = {i}"]);
        var lines = PlanValues.Differences(new Dictionary<string, IReadOnlyList<string>>(), many, max: 10);
        lines.Count.ShouldBe(11);
        lines[^1].ShouldBe("… and 5 more");
    }

    [Fact]
    public void A_stored_summary_round_trips_and_anything_else_reads_as_none()
    {
        var summary = new StoredPlanSummary { Project = "db", Head = "abc", Fingerprint = "v2:00", Counts = new ActionCounts { Replace = 1 }, ApprovalRequired = true, Values = Values("s") };
        var read = StoredPlanSummary.Parse(summary.ToJson()).ShouldNotBeNull();
        read.Fingerprint.ShouldBe("v2:00");
        read.Counts.Replace.ShouldBe(1);
        read.Values["aws_db_instance.main"].ShouldBe(summary.Values["aws_db_instance.main"]);
        StoredPlanSummary.Parse("""{"fingerprint":"sha256:abc"}""").ShouldBeNull();
        StoredPlanSummary.Parse("not json").ShouldBeNull();
        StoredPlanSummary.Parse(summary.ToJson().Replace("\"version\":1", "\"version\":2", StringComparison.Ordinal)).ShouldBeNull();
    }
}
