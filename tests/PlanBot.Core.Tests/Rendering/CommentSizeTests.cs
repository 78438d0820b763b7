using PlanBot.Core.Plans;
using PlanBot.Core.Rendering;
using PlanBot.Testing;
using static PlanBot.Core.Tests.Rendering.RenderHelpers;

namespace PlanBot.Core.Tests.Rendering;

/// <summary>Huge plans: every part fits and is balanced, nothing is silently lost, the secret never shows.</summary>
public class CommentSizeTests
{
    private static readonly Lazy<PlanSummary> TenThousand = new(() => Read(PlanGenerator.Plan(10_000)));

    [Fact]
    public void A_10000_resource_plan_fits_max_parts_with_every_change_accounted_for_and_no_secret()
    {
        var plan = TenThousand.Value;
        plan.Changes.Count.ShouldBe(10_000);
        var options = new CommentOptions();
        var parts = MarkdownComment.Render(Report(Planned("big", plan)), options);

        parts.Count.ShouldBeLessThanOrEqualTo(options.MaxParts);
        for (var i = 0; i < parts.Count; i++)
        {
            CommentChecks.ShouldBeBalanced(parts[i], options.MaxChars, $"part {i + 1}");
        }

        var output = string.Join("\n", parts);
        output.ShouldNotContain(PlanGenerator.Secret);
        output.ShouldContain("> [!NOTE]\n> To fit GitHub's comment size limit, this comment leaves out the resource lists of `big` (10,000 resources)");
        CommentChecks.ShouldAccountForEveryChange(output, plan.Changes.Select(c => c.Address), notShown: 10_000);
        // Every destroy and replace is still named in the warnings, which are never dropped.
        foreach (var change in plan.Changes.Where(c => c.Action is ChangeAction.Delete or ChangeAction.Replace))
        {
            output.ShouldContain($"`{change.Address}`");
        }
    }

    [Fact]
    public void The_job_summary_of_10000_resources_is_one_part_under_1_MiB_that_names_every_resource()
    {
        var plan = TenThousand.Value;
        var summary = MarkdownComment.Render(Report(Planned("big", plan)), CommentOptions.ForJobSummary(new()));
        summary.Count.ShouldBe(1);
        System.Text.Encoding.UTF8.GetByteCount(summary[0]).ShouldBeLessThan(1 << 20);
        summary[0].ShouldNotStartWith("<!--");
        CommentChecks.ShouldBeBalanced(summary[0], CommentOptions.JobSummaryMaxChars, "summary");
        CommentChecks.ShouldAccountForEveryChange(summary[0], plan.Changes.Select(c => c.Address), notShown: 0);
        summary[0].ShouldNotContain(PlanGenerator.Secret);
    }

    [Fact]
    public void The_largest_project_loses_its_diffs_first_and_the_small_ones_keep_theirs()
    {
        var big = Planned("big", Read(PlanGenerator.Plan(400)));
        var small = Planned("small", Read(PlanGenerator.Plan(5)));
        var options = new CommentOptions { MaxChars = 65_000, MaxParts = 2 };
        var parts = MarkdownComment.Render(Report(big, small), options);
        parts.Count.ShouldBeLessThanOrEqualTo(2);
        var output = string.Join("\n", parts);
        output.ShouldContain("leaves out the attribute diffs of `big` (400 resources)");
        output.ShouldNotContain("`small` (5 resources)");
        output.ShouldContain("~ instance_type = \"t3.micro\" -> \"t3.small\""); // small's update diff is kept
        CommentChecks.ShouldAccountForEveryChange(output, big.Plan!.Changes.Concat(small.Plan!.Changes).Select(c => c.Address), notShown: 0);
        foreach (var part in parts)
        {
            CommentChecks.ShouldBeBalanced(part, options.MaxChars, "degraded");
        }
    }

    [Theory]
    [InlineData("update")]
    [InlineData("create")]
    public void A_200_KB_policy_document_is_a_line_diff_or_a_split_code_block_that_stays_balanced(string kind)
    {
        var before = PlanGenerator.Policy(1, "v1", 200_000);
        var after = PlanGenerator.Policy(1, "v2", 200_000);
        string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
        var json = $$"""
            {"format_version":"1.2","resource_changes":[{"address":"aws_iam_policy.big","type":"aws_iam_policy","mode":"managed","name":"big",
              "change":{"actions":["{{kind}}"],"before":{{(kind == "create" ? "null" : "{\"policy\":" + Quote(before) + "}")}},"after":{"policy":{{Quote(after)}} } } } ]}
            """;
        json.Length.ShouldBeGreaterThan(200_000);
        var parts = MarkdownComment.Render(Report(Planned("iam", Read(json))), new CommentOptions { MaxChars = 65_000, MaxParts = 100 });
        foreach (var part in parts)
        {
            CommentChecks.ShouldBeBalanced(part, 65_000, kind);
        }

        var output = string.Join("\n", parts);
        if (kind == "update")
        {
            parts.Count.ShouldBe(1);
            output.ShouldContain("~ policy = (JSON, 2 lines changed):");
            output.ShouldContain("-           \"Resource\": \"arn:aws:s3:::bucket-1/v1/*\"");
            output.ShouldContain("+           \"Resource\": \"arn:aws:s3:::bucket-1/v2/*\"");
        }
        else
        {
            parts.Count.ShouldBeGreaterThan(1);
            parts[1].ShouldContain("(continued)</summary>");
        }
    }

    [Fact]
    public void Parts_are_marked_in_order_and_a_small_limit_splits_between_projects_first()
    {
        var projects = Enumerable.Range(0, 6).Select(i => Planned($"p{i}", Read(PlanGenerator.Plan(4)))).ToArray();
        var parts = MarkdownComment.Render(Report(projects), new CommentOptions { MaxChars = 8_000, MaxParts = 50 });
        parts.Count.ShouldBeGreaterThan(1);
        parts[0].ShouldStartWith("<!-- planbot:plan -->\n");
        for (var i = 1; i < parts.Count; i++)
        {
            parts[i].ShouldStartWith($"<!-- planbot:plan part={i + 1} -->\n");
            CommentChecks.ShouldBeBalanced(parts[i], 8_000, $"part {i + 1}");
        }

        parts[^1].ShouldEndWith("`/planbot help`\n");
    }
}
