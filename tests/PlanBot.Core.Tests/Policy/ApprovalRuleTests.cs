using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;

namespace PlanBot.Core.Tests.Policy;

/// <summary>Each approval rule on its own, over a table of plans; then the policy that registers them.</summary>
public class ApprovalRuleTests
{
    private static PlanSummary Plan(params (string Type, ChangeAction Action)[] changes)
    {
        var list = changes.Select((c, i) => new ResourceChange { Address = $"{c.Type}.r{i}", Type = c.Type, Action = c.Action, ActionList = c.Action.ToString().ToLowerInvariant() }).ToArray();
        return new PlanSummary
        {
            FormatVersion = "1.2",
            Changes = list,
            Counts = new ActionCounts
            {
                Create = list.Count(c => c.Action == ChangeAction.Create),
                Update = list.Count(c => c.Action == ChangeAction.Update),
                Delete = list.Count(c => c.Action == ChangeAction.Delete),
                Replace = list.Count(c => c.Action == ChangeAction.Replace),
                Read = list.Count(c => c.Action == ChangeAction.Read),
            },
            Fingerprint = PlanFingerprint.Compute(list),
        };
    }

    private static readonly ApprovalSettings Settings = new()
    {
        FoundationalPaths = [Glob.Parse("envs/prod/**")],
        FoundationalTypes = [Glob.Parse("aws_iam_*"), Glob.Parse("aws_kms_key")],
    };

    public static TheoryData<string, ChangeAction, string?> DestructiveTable() => new()
    {
        { "aws_instance", ChangeAction.Create, null },
        { "aws_instance", ChangeAction.Update, null },
        { "aws_instance", ChangeAction.Read, null },
        { "aws_instance", ChangeAction.Delete, "destructive" },
        { "aws_instance", ChangeAction.Replace, "destructive" },
        { "aws_instance", ChangeAction.Forget, null }, // removed from state, not destroyed
    };

    [Theory]
    [MemberData(nameof(DestructiveTable))]
    public void Any_delete_or_replace_is_destructive(string type, ChangeAction action, string? expected) =>
        new DestructiveRule(new ApprovalSettings()).Evaluate(new Project { Name = "p", Dir = "p" }, Plan((type, action))).ShouldBe(expected);

    [Fact]
    public void Destructive_approval_can_be_turned_off() =>
        new DestructiveRule(new ApprovalSettings { Destructive = false }).Evaluate(new Project { Name = "p", Dir = "p" }, Plan(("aws_instance", ChangeAction.Delete))).ShouldBeNull();

    [Theory]
    [InlineData("envs/prod/network", "aws_instance", "foundational")]
    [InlineData("envs/prod", "aws_instance", null)] // envs/prod/** needs something below envs/prod
    [InlineData("envs/staging/network", "aws_instance", null)]
    public void A_dir_under_foundational_paths_is_foundational(string dir, string type, string? expected) =>
        new FoundationalPathRule(Settings).Evaluate(new Project { Name = dir, Dir = dir }, Plan((type, ChangeAction.Update))).ShouldBe(expected);

    [Theory]
    [InlineData("aws_iam_role", ChangeAction.Update, "foundational")]
    [InlineData("aws_iam_policy_attachment", ChangeAction.Create, "foundational")]
    [InlineData("aws_kms_key", ChangeAction.Delete, "foundational")]
    [InlineData("aws_kms_alias", ChangeAction.Update, null)]
    [InlineData("aws_iam_role", ChangeAction.Read, null)] // a data source read changes nothing
    public void A_changed_type_matching_foundational_types_is_foundational(string type, ChangeAction action, string? expected) =>
        new FoundationalTypeRule(Settings).Evaluate(new Project { Name = "p", Dir = "p" }, Plan((type, action))).ShouldBe(expected);

    [Theory]
    [InlineData(true, true, "foundational")]
    [InlineData(true, false, null)] // nothing to approve in a plan without changes
    [InlineData(false, true, null)]
    public void A_project_marked_foundational_needs_approval_for_any_change(bool foundational, bool changes, string? expected) =>
        new FoundationalProjectRule().Evaluate(new Project { Name = "p", Dir = "p", Foundational = foundational }, changes ? Plan(("x", ChangeAction.Create)) : Plan()).ShouldBe(expected);

    [Fact]
    public void The_policy_gives_each_reason_once_and_not_required_when_no_rule_applies()
    {
        var policy = ApprovalPolicy.For(PlanBotConfig.Default with { Approval = Settings });
        var prod = new Project { Name = "prod", Dir = "envs/prod/iam", Foundational = true };
        var both = policy.Evaluate(prod, Plan(("aws_iam_role", ChangeAction.Replace)));
        both.Required.ShouldBeTrue();
        both.Reasons.ShouldBe(["destructive", "foundational"]);
        policy.Evaluate(new Project { Name = "dev", Dir = "envs/dev/app" }, Plan(("aws_instance", ChangeAction.Update))).ShouldBe(ApprovalRequirement.NotRequired);
    }
}
