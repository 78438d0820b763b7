using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PlanBot.Core.Workflows;
using PlanBot.Hosting;

namespace PlanBot.Cli.Commands;

/// <summary>`planbot plan`: plan the projects affected between two refs of a local checkout; no network needed.</summary>
public static class PlanCommand
{
    public static Command Create(CliContext cli)
    {
        var repo = new Option<string>("--repo") { Description = "The git checkout to plan", DefaultValueFactory = _ => "." };
        var baseRef = new Option<string>("--base") { Description = "The ref the change is compared with", DefaultValueFactory = _ => "origin/HEAD" };
        var headRef = new Option<string>("--head") { Description = "The ref to plan", DefaultValueFactory = _ => "HEAD" };
        var projects = new Option<string[]>("--project", "-p") { Description = "Plan this project (repeatable) instead of the affected ones", AllowMultipleArgumentsPerToken = false };
        var output = new ReportOutput();
        var command = new Command("plan", "Plan the Terraform projects a change affects, in dependency order") { repo, baseRef, headRef, projects };
        output.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            output.CheckWritable(parse); // before terraform runs: an unwritable --json-out must not cost a whole plan
            var root = Path.GetFullPath(parse.GetValue(repo)!);
            var config = cli.Settings.LoadConfig(root).Config;
            await using var services = cli.Services();
            var target = new PlanTarget { RepoDir = parse.GetValue(repo)!, BaseRef = parse.GetValue(baseRef)!, HeadRef = parse.GetValue(headRef)!, Selection = ProjectSelection.Of(parse.GetValue(projects) ?? []) };
            var report = await services.GetRequiredService<IPlanRunner>().PlanAsync(target, config, null, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(cli, parse, report, config.Comments, cancellationToken).ConfigureAwait(false);
            return ExitCodes.For(report);
        });
        return command;
    }
}
