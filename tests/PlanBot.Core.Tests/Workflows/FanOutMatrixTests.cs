using System.Text.Json.Nodes;
using PlanBot.Core.Common;
using PlanBot.Core.Workflows;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>The job matrix of a fanned-out plan: one entry per project, or batches that never mix levels.</summary>
public class FanOutMatrixTests
{
    private static IReadOnlyList<IReadOnlyList<string>> Levels(params int[] sizes) =>
        [.. sizes.Select((size, level) => (IReadOnlyList<string>)[.. Enumerable.Range(1, size).Select(i => $"l{level + 1}-{i:D2}")])];

    [Fact]
    public void Up_to_max_jobs_projects_get_one_entry_each_with_their_level()
    {
        var entries = FanOutMatrix.Entries(Levels(2, 1), 3);
        entries.Select(e => (e.Id, e.Name, e.Level, string.Join(",", e.Projects))).ShouldBe([("1", "l1-01", 1, "l1-01"), ("2", "l1-02", 1, "l1-02"), ("3", "l2-01", 2, "l2-01")]);
    }

    [Theory]
    [InlineData(new[] { 30, 10 }, 4)]
    [InlineData(new[] { 17, 13, 7, 3 }, 8)]
    [InlineData(new[] { 1, 1, 1, 1, 1 }, 2)]
    [InlineData(new[] { 256 }, 1)]
    public void Past_max_jobs_each_level_is_cut_into_near_equal_batches_and_every_project_is_in_exactly_one(int[] sizes, int maxJobs)
    {
        var levels = Levels(sizes);
        var entries = FanOutMatrix.Entries(levels, maxJobs);
        var size = (sizes.Sum() + maxJobs - 1) / maxJobs;
        entries.SelectMany(e => e.Projects).ShouldBe(levels.SelectMany(l => l), "every project once, in run order");
        entries.ShouldAllBe(e => e.Projects.Count >= 1 && e.Projects.Count <= size);
        entries.ShouldAllBe(e => e.Projects.All(p => p.StartsWith($"l{e.Level}-", StringComparison.Ordinal)), "a batch holds one level");
        entries.Count.ShouldBeLessThanOrEqualTo(maxJobs + sizes.Length - 1);
        foreach (var level in entries.GroupBy(e => e.Level))
        {
            (level.Max(e => e.Projects.Count) - level.Min(e => e.Projects.Count)).ShouldBeLessThanOrEqualTo(1);
        }
    }

    [Fact]
    public void Forty_projects_over_four_jobs_make_four_batches_of_ten()
    {
        FanOutMatrix.Entries(Levels(40), 4).Select(e => e.Projects.Count).ShouldBe([10, 10, 10, 10]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public void Max_jobs_outside_what_github_runs_is_a_usage_error(int maxJobs) =>
        Should.Throw<UsageException>(() => FanOutMatrix.Entries(Levels(3), maxJobs)).Message.ShouldContain("1 to 256");

    [Fact]
    public void The_json_is_one_line_github_reads_and_the_projects_parse_back()
    {
        var entries = FanOutMatrix.Entries([["a, b", "c\"d"], ["e"]], 3);
        var json = FanOutMatrix.Json(entries);
        json.ShouldNotContain("\n");
        var include = JsonNode.Parse(json)!["include"]!.AsArray();
        include.Count.ShouldBe(3);
        FanOutMatrix.ParseProjects(include[0]!["projects"]!.ToJsonString()).ShouldBe(["a, b"]);
        FanOutMatrix.ParseProjects("[\n  \"c\\\"d\"\n]").ShouldBe(["c\"d"]);
        FanOutMatrix.ParseProjects(" x , y ").ShouldBe(["x", "y"]);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[\"\"]")]
    [InlineData("[1, 2]")]
    [InlineData("[\"a\"")]
    [InlineData(" , ")]
    public void Projects_that_name_nothing_or_are_not_a_list_of_names_are_a_usage_error(string text) =>
        Should.Throw<UsageException>(() => FanOutMatrix.ParseProjects(text)).Message.ShouldContain("matrix");
}
