using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;

namespace PlanBot.Core.Policy;

/// <summary>Whether a project's plan needs a person's approval before it may be applied, and why.</summary>
public sealed record ApprovalRequirement(bool Required, IReadOnlyList<string> Reasons)
{
    public static readonly ApprovalRequirement NotRequired = new(false, []);
}

/// <summary>One rule: returns its reason when it applies to the project's plan, or null.</summary>
public interface IApprovalRule
{
    string? Evaluate(Project project, PlanSummary plan);
}

/// <summary>Any delete or replace.</summary>
public sealed class DestructiveRule(ApprovalSettings settings) : IApprovalRule
{
    public string? Evaluate(Project project, PlanSummary plan) =>
        settings.Destructive && plan.Counts.Destructive ? "destructive" : null;
}

/// <summary>The project is marked <c>foundational: true</c> in planbot.yaml and its plan changes something.</summary>
public sealed class FoundationalProjectRule : IApprovalRule
{
    public string? Evaluate(Project project, PlanSummary plan) => plan.HasChanges && project.Foundational ? "foundational" : null;
}

/// <summary>The project's dir matches <c>approval.foundational_paths</c> and its plan changes something.</summary>
public sealed class FoundationalPathRule(ApprovalSettings settings) : IApprovalRule
{
    public string? Evaluate(Project project, PlanSummary plan) =>
        plan.HasChanges && settings.FoundationalPaths.Any(g => g.IsMatch(project.Dir)) ? "foundational" : null;
}

/// <summary>A resource type the plan changes (reads excluded) matches <c>approval.foundational_types</c> (globs like <c>aws_iam_*</c>).</summary>
public sealed class FoundationalTypeRule(ApprovalSettings settings) : IApprovalRule
{
    public string? Evaluate(Project project, PlanSummary plan) =>
        plan.ChangedTypes.Any(t => settings.FoundationalTypes.Any(g => g.IsMatch(t))) ? "foundational" : null;
}

/// <summary>The PR changes a policy key of planbot.yaml: a change of the rules is itself foundational, so every planned project needs approval.</summary>
public sealed class PolicyChangeRule(PlanBotConfig config) : IApprovalRule
{
    public string? Evaluate(Project project, PlanSummary plan) => config.PolicyChanges.Count > 0 ? "policy change" : null;
}

/// <summary>The rules, registered in one place, evaluated in order.</summary>
public sealed class ApprovalPolicy(IReadOnlyList<IApprovalRule> rules)
{
    public static ApprovalPolicy For(PlanBotConfig config) =>
        new([new DestructiveRule(config.Approval), new FoundationalProjectRule(), new FoundationalPathRule(config.Approval), new FoundationalTypeRule(config.Approval), new PolicyChangeRule(config)]);

    public ApprovalRequirement Evaluate(Project project, PlanSummary plan)
    {
        var reasons = rules.Select(r => r.Evaluate(project, plan)).OfType<string>().Distinct().ToArray();
        return reasons.Length == 0 ? ApprovalRequirement.NotRequired : new ApprovalRequirement(true, reasons);
    }
}
