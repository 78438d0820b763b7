using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Hosting;
using PlanBot.Terraform.Files;

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
            var config = ConfigLoader.Load(root);
            var report = await RunAsync(cli, root, parse.GetValue(projects) ?? [], Engine.DataDir, Stores.Locks(config, Engine.DataDir, TimeProvider.System), "local", null, cancellationToken).ConfigureAwait(false);
            var markdown = DriftMarkdown.Render(report, CommentOptions.ForComment(config.Comments));
            await cli.Stdout.WriteAsync(markdown).ConfigureAwait(false);
            if (parse.GetValue(summaryOut) is { } summary)
            {
                await File.WriteAllTextAsync(summary, MaskingWriter.Scrub(markdown), cancellationToken).ConfigureAwait(false);
            }

            if (parse.GetValue(jsonOut) is { } json)
            {
                await File.WriteAllTextAsync(json, MaskingWriter.Scrub(Json(report) + "\n"), cancellationToken).ConfigureAwait(false);
            }

            return report.ExitCode;
        });
        return command;
    }

    /// <summary>The drift check, shared by `planbot drift` and the Action's schedule/workflow_dispatch run.</summary>
    public static async Task<DriftReport> RunAsync(CliContext cli, string root, IReadOnlyList<string> projects, string dataDir, ILockStore locks, string runId,
        IReadOnlyDictionary<string, DateTimeOffset>? firstSeen, CancellationToken cancellationToken)
    {
        var config = ConfigLoader.Load(root);
        var names = projects.Count > 0 ? projects : ProjectDiscovery.Discover(new DiskFileTree(root), config).Projects.Select(p => p.Name).ToArray();
        var repository = await LocksCommand.RepositoryName(root, cancellationToken).ConfigureAwait(false);
        var owner = new LockOwner(repository, 0, "HEAD", "planbot-drift", runId);
        var run = await PlanCommand.RunAsync(cli, root, "HEAD", "HEAD", names, dataDir, cancellationToken, owner, changedFiles: [], locks, projectLocks: false).ConfigureAwait(false);
        var report = DriftReport.From(run, TimeProvider.System.GetUtcNow(), firstSeen);
        cli.Progress.Report($"drift: {report.Drifted.Count} drifted, {report.Projects.Count(p => p.Status == DriftStatus.Failed)} failed, {report.Projects.Count(p => p.Status == DriftStatus.InSync)} in sync");
        return report;
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
