using PlanBot.Core.Runs;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Workflows;

namespace PlanBot.Core.Tests.Rendering;

internal static class RenderHelpers
{
    public static ProjectResult Planned(string name, PlanSummary plan) => new()
    {
        Project = new Project { Name = name, Dir = name },
        Status = plan.HasChanges ? ProjectStatus.Planned : ProjectStatus.NoChanges,
        Plan = plan,
    };

    public static RunReport Report(params ProjectResult[] projects) =>
        new() { Head = "0123456789abcdef0123456789abcdef01234567", Base = "fedcba9876543210fedcba9876543210fedcba98", Levels = [[.. projects.Select(p => p.Project.Name)]], Projects = projects };

    public static PlanSummary Read(string json) => PlanReader.ReadDetailed(System.Text.Encoding.UTF8.GetBytes(json), "plan.json", []);
}
