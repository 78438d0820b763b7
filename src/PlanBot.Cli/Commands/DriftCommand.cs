using PlanBot.Core.Runs;
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Hosting;

namespace PlanBot.Cli.Commands;

/// <summary>
/// `planbot drift`: plans every project (or the named ones) at the checked-out head of the default
/// branch, refresh included, in dependency order; run locks only. Exit 0 in sync, 1 a project
/// could not be checked, 3 drifted.
/// </summary>
public static class DriftCommand
{
    public static Command Create(CliContext cli)
    {
        var repo = new Option<string>("--repo") { Description = "A checkout of the default branch", DefaultValueFactory = _ => "." };
        var projects = new Option<string[]>("--project", "-p") { Description = "Check only this project (repeatable)" };
        var jsonOut = new Option<string?>("--json-out") { Description = "Write the drift report as JSON here" };
        var summaryOut = new Option<string?>("--summary-out") { Description = "Write the Markdown report here too" };
        var command = new Command("drift", "Check whether the cloud still matches the default branch (exit 3 when it does not)") { repo, projects, jsonOut, summaryOut };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var root = Path.GetFullPath(parse.GetValue(repo)!);
            var config = cli.Settings.LoadConfig(root).Config;
            await using var services = cli.Services();
            var locks = services.GetRequiredService<IStores>().Locks(config);
            var repository = await LocksCommand.RepositoryName(cli.Settings, root, cancellationToken).ConfigureAwait(false);
            var report = await services.GetRequiredService<DriftWorkflow>()
                .CheckAsync(root, repository, ProjectSelection.Of(parse.GetValue(projects) ?? []), config, locks, "local", null, cancellationToken).ConfigureAwait(false);
            var markdown = DriftMarkdown.Render(report, CommentOptions.ForComment(config.Comments));
            await cli.Stdout.WriteAsync(markdown).ConfigureAwait(false);
            if (parse.GetValue(summaryOut) is { } summary)
            {
                await File.WriteAllTextAsync(summary, MaskingWriter.Scrub(markdown, cli.Settings.Secrets), cancellationToken).ConfigureAwait(false);
            }

            if (parse.GetValue(jsonOut) is { } json)
            {
                await File.WriteAllTextAsync(json, MaskingWriter.Scrub(Json(report) + "\n", cli.Settings.Secrets), cancellationToken).ConfigureAwait(false);
            }

            return report.ExitCode;
        });
        return command;
    }

    public static string Json(DriftReport report) => JsonSerializer.Serialize(
        new DriftJson(report.Run.Head, report.CheckedAt, [.. report.Projects.Select(p => new DriftProjectJson(p.Name, p.Result.Project.Dir, p.Status switch
        {
            DriftStatus.Drifted => "drifted",
            DriftStatus.Failed => "failed",
            _ => "in_sync",
        }, [.. p.Resources], p.FirstSeen, p.Result.Error))]),
        DriftJsonContext.Default.DriftJson);
}

internal sealed record DriftProjectJson(string Name, string Dir, string Status, string[] Resources, DateTimeOffset? FirstSeen, string? Error);

internal sealed record DriftJson(string Head, DateTimeOffset CheckedAt, DriftProjectJson[] Projects);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(DriftJson))]
internal sealed partial class DriftJsonContext : JsonSerializerContext;
