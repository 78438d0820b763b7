using System.CommandLine;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;

namespace PlanBot.Cli.Commands;

/// <summary>`planbot render`: the comment for one `terraform show -json` file, without running terraform.</summary>
public static class RenderCommand
{
    public static Command Create(CliContext cli)
    {
        var planJson = new Option<string>("--plan-json") { Description = "A `terraform show -json PLANFILE` document", Required = true };
        var project = new Option<string>("--project") { Description = "The project name to show", DefaultValueFactory = _ => "project" };
        var command = new Command("render", "Render the comment for one plan JSON file") { planJson, project };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(planJson)!;
            var plan = await PlanReader.ReadFileAsync(path, cancellationToken).ConfigureAwait(false);
            var name = parse.GetValue(project)!;
            var target = new Project { Name = name, Dir = name };
            var result = new ProjectResult
            {
                Project = target,
                Status = plan.HasChanges ? ProjectStatus.Planned : ProjectStatus.NoChanges,
                Plan = plan,
                Approval = ApprovalPolicy.For(PlanBotConfig.Default).Evaluate(target, plan),
            };
            var report = new RunReport { Head = "(not a git run)", Base = "(none)", Levels = [[name]], Projects = [result] };
            await cli.Stdout.WriteAsync(string.Join("\n", MarkdownComment.Render(report, PlanBotConfig.Default.Comments))).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
