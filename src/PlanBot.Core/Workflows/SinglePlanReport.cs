using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The run report of one plan JSON outside any git run: what `planbot render` and the NativeAOT
/// `planbot-render` both render, so their comments stay byte for byte the same.
/// </summary>
public static class SinglePlanReport
{
    public static RunReport Of(PlanSummary plan, string name, PlanBotConfig config)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(config);
        var target = new Project { Name = name, Dir = name };
        var result = new ProjectResult
        {
            Project = target,
            Status = plan.HasChanges ? ProjectStatus.Planned : ProjectStatus.NoChanges,
            Plan = plan,
            Approval = ApprovalPolicy.For(config).Evaluate(target, plan),
        };
        return new RunReport { Head = "(not a git run)", Base = "(none)", Levels = [[name]], Projects = [result] };
    }
}
