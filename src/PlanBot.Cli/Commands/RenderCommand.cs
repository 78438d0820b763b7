using PlanBot.Core.Runs;
using System.CommandLine;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Workflows;

using PlanBot.Hosting;

namespace PlanBot.Cli.Commands;

/// <summary>`planbot render`: the comment for one `terraform show -json` file, without running terraform.</summary>
public static class RenderCommand
{
    public static Command Create(CliContext cli)
    {
        var planJson = new Option<string>("--plan-json") { Description = "A `terraform show -json PLANFILE` document", Required = true };
        var project = new Option<string>("--project") { Description = "The project name to show", DefaultValueFactory = _ => "project" };
        var repo = new Option<string?>("--repo") { Description = "Take the comments settings (mask, max_chars, max_parts) and approval rules from this dir's planbot.yaml" };
        var output = new ReportOutput();
        var command = new Command("render", "Render the comment for one plan JSON file") { planJson, project, repo };
        output.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            output.CheckWritable(parse);
            var config = parse.GetValue(repo) is { } dir ? cli.Settings.LoadConfig(Path.GetFullPath(dir)).Config : PlanBotConfig.Default;
            // one plan, then the process exits: mapped, not copied (MappedPlanFile)
            var plan = await MappedPlanFile.ReadDetailedOnceAsync(parse.GetValue(planJson)!, PlanDetails.CompileMasks(config.Comments.Mask), cancellationToken).ConfigureAwait(false);
            var report = SinglePlanReport.Of(plan, parse.GetValue(project)!, config);
            await output.WriteAsync(cli, parse, report, config.Comments, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
