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

/// <summary>The project is marked foundational, its dir matches foundational_paths, or a changed type matches foundational_types.</summary>
public sealed class FoundationalRule(ApprovalSettings settings) : IApprovalRule
{
    public string? Evaluate(Project project, PlanSummary plan)
    {
        if (!plan.HasChanges)
        {
            return null;
        }

        var foundational = project.Foundational
            || settings.FoundationalPaths.Any(g => g.IsMatch(project.Dir))
            || plan.ChangedTypes.Any(t => settings.FoundationalTypes.Any(g => g.IsMatch(t)));
        return foundational ? "foundational" : null;
    }
}

/// <summary>The rules, registered in one place, evaluated in order.</summary>
public sealed class ApprovalPolicy(IReadOnlyList<IApprovalRule> rules)
{
    public static ApprovalPolicy For(PlanBotConfig config) =>
        new([new DestructiveRule(config.Approval), new FoundationalRule(config.Approval)]);

    public ApprovalRequirement Evaluate(Project project, PlanSummary plan)
    {
        var reasons = rules.Select(r => r.Evaluate(project, plan)).OfType<string>().Distinct().ToArray();
        return reasons.Length == 0 ? ApprovalRequirement.NotRequired : new ApprovalRequirement(true, reasons);
    }
}
