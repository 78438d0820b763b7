using PlanBot.Core.Policy;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Tests.Policy;

/// <summary>Approvals are timed on GitHub's clock (whole seconds), never the runner's.</summary>
public class ApprovalTimingTests
{
    private static readonly DateTimeOffset Posted = DateTimeOffset.Parse("2026-12-01T10:00:05Z", System.Globalization.CultureInfo.InvariantCulture);

    private static IssueComment Approval(DateTimeOffset at) => new(1, "/planbot approve", "carol", at, at);

    private static PlanMeta Plan(long? postedAt, long plannedAt) => new("abc", plannedAt, [], [], postedAt);

    [Fact]
    public void An_approval_in_the_same_second_as_the_plan_counts_and_one_a_second_earlier_does_not()
    {
        // the runner's clock is 30 s ahead of GitHub's: it plays no part once GitHub's time is known
        var plan = Plan(Posted.ToUnixTimeSeconds(), Posted.AddSeconds(30).ToUnixTimeMilliseconds());
        ApprovalLedger.PostedBefore(Approval(Posted), plan).ShouldBeFalse();
        ApprovalLedger.PostedBefore(Approval(Posted.AddSeconds(1)), plan).ShouldBeFalse();
        ApprovalLedger.PostedBefore(Approval(Posted.AddSeconds(-1)), plan).ShouldBeTrue();
    }

    [Fact]
    public void A_plan_recorded_before_github_time_was_kept_is_judged_at_second_precision()
    {
        var plan = Plan(null, Posted.AddMilliseconds(900).ToUnixTimeMilliseconds());
        ApprovalLedger.PostedBefore(Approval(Posted), plan).ShouldBeFalse();
        ApprovalLedger.PostedBefore(Approval(Posted.AddSeconds(-1)), plan).ShouldBeTrue();
    }
}
