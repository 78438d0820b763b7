using PlanBot.Core.Config;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Tests.Policy;

/// <summary>An approval recorded before the content fingerprint (format v1, addresses and actions only) never approves a plan read now.</summary>
public class ApprovalFingerprintFormatTests
{
    private static readonly DateTimeOffset PlannedAt = DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<(Dictionary<string, List<string>> Approvers, List<string> Notes)> Verify(string approved, string planned)
    {
        var comment = new IssueComment(7, "/planbot approve", "alice", PlannedAt.AddMinutes(5), PlannedAt.AddMinutes(5));
        var entry = new ApprovalEntry(7, "alice", "head1", new() { ["network"] = approved });
        var plan = new PlanMeta("head1", PlannedAt.ToUnixTimeMilliseconds(), new() { ["network"] = planned }, ["network"]);
        // alice is listed in approvers.users, so the check never asks GitHub (no IVcs needed)
        var check = new ApproverCheck(null!, new ApprovalSettings { Users = ["alice"] });
        return await ApprovalLedger.VerifyAsync([entry], [comment], plan, check, "acme/infra", "bob", CancellationToken.None);
    }

    [Fact]
    public async Task An_approval_of_an_old_format_fingerprint_does_not_count_and_says_why()
    {
        const string current = "v2:7f4093d6cde3b7e2abaadf4259e8e5fb1904b1343f1b479a9bd68c28bdaec6f9";
        var (approvers, notes) = await Verify("sha256:7f4093d6cde3b7e2abaadf4259e8e5fb1904b1343f1b479a9bd68c28bdaec6f9", current);
        approvers.ShouldBeEmpty();
        notes.ShouldHaveSingleItem().ShouldContain("older fingerprint format");
        notes[0].ShouldContain("/planbot approve");

        var (now, none) = await Verify(current, current);
        now["network"].ShouldBe(["alice"]);
        none.ShouldBeEmpty();

        var (changed, why) = await Verify("v2:0000", current);
        changed.ShouldBeEmpty();
        why.ShouldHaveSingleItem().ShouldContain("changed since @alice approved it");
    }
}
