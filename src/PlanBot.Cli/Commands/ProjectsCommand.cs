using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Graph;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Files;

using PlanBot.Hosting;
using PlanBot.Core.Common;

namespace PlanBot.Cli.Commands;

/// <summary>`planbot projects`: what discovery finds, with dirs, workspaces and dependency levels.</summary>
public static class ProjectsCommand
{
    public static Command Create(CliContext cli)
    {
        var repo = new Option<string>("--repo") { Description = "The working tree to read", DefaultValueFactory = _ => "." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var policy = new Option<string?>("--policy") { Description = "The server policy to show the repository under (default: PLANBOT_POLICY_FILE)" };
        var command = new Command("projects", "List discovered projects, their dirs, workspaces and dependency levels, and where each policy key's value comes from") { repo, json, policy };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var root = Path.GetFullPath(parse.GetValue(repo)!);
            if (!Directory.Exists(root))
            {
                throw new UsageException($"--repo {parse.GetValue(repo)}: no such directory");
            }

            var settings = cli.Settings.WithServerPolicy(parse.GetValue(policy));
            var config = settings.LoadConfig(root).Config;
            var discovery = ProjectDiscovery.Discover(new DiskFileTree(root), config);
            var graph = ProjectGraph.Build(discovery.Projects, config.SourceFile ?? "planbot.yaml");
            var levels = graph.Levels(discovery.Projects.Select(p => p.Name).ToArray());
            var levelOf = levels.SelectMany((names, i) => names.Select(n => (n, i + 1))).ToDictionary(x => x.n, x => x.Item2);
            var rows = discovery.Projects.Select(p => new ProjectRow(
                p.Name, p.Dir, p.Workspace, levelOf[p.Name],
                graph.DependenciesOf(p.Name).Select(e => e.To).ToArray(),
                p.ModuleDirs, p.ParseErrors)).OrderBy(r => r.Level).ThenBy(r => r.Name, StringComparer.Ordinal).ToArray();
            if (parse.GetValue(json))
            {
                await cli.Stdout.WriteLineAsync(JsonSerializer.Serialize(rows, ProjectsJsonContext.Default.ProjectRowArray)).ConfigureAwait(false);
            }
            else if (rows.Length == 0)
            {
                await cli.Stdout.WriteLineAsync("no projects found: no dir declares a backend or is a root module (see the warnings), and planbot.yaml lists none; add 'projects' to planbot.yaml or check discovery.ignore").ConfigureAwait(false);
            }
            else
            {
                foreach (var row in rows)
                {
                    var after = row.DependsOn.Count > 0 ? $"  after {string.Join(", ", row.DependsOn)}" : "";
                    var errors = row.ParseErrors.Count > 0 ? $"  ({row.ParseErrors.Count} HCL errors: {row.ParseErrors[0]})" : "";
                    await cli.Stdout.WriteLineAsync($"{row.Level}  {row.Name}  dir={row.Dir}  workspace={row.Workspace}{after}{errors}").ConfigureAwait(false);
                }
            }

            if (!parse.GetValue(json))
            {
                await WritePolicyAsync(cli, settings, root).ConfigureAwait(false);
            }

            foreach (var warning in discovery.Warnings.Concat(graph.Warnings))
            {
                cli.Stderr.WriteLine($"planbot: warning: {warning}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The merge rule made visible: each policy key's effective value and where it comes from (the
    /// server policy, this checkout's planbot.yaml — the base branch's, when the checkout is the
    /// default branch — or PlanBot's default).
    /// </summary>
    private static async Task WritePolicyAsync(CliContext cli, PlanBotSettings settings, string root)
    {
        var repo = RunConfigLoader.Load(root, settings.ConfigDir).Config;
        var origins = ServerPolicy.Origins(settings.Policy, repo);
        var file = repo.SourceFile ?? "planbot.yaml";
        await cli.Stdout.WriteLineAsync($"\npolicy ({(settings.Policy is { } p ? $"server policy {p.File}, tightened by {file}" : file)}):").ConfigureAwait(false);
        var width = origins.Max(o => o.Key.Length);
        foreach (var origin in origins)
        {
            var source = origin.Source switch
            {
                PolicySource.ServerPolicy => "server policy",
                PolicySource.Repository => $"base branch ({file})",
                PolicySource.Both => $"server policy + base branch ({file})",
                _ => "default",
            };
            await cli.Stdout.WriteLineAsync($"  {origin.Key.PadRight(width)}  {origin.Value}  [{source}]").ConfigureAwait(false);
        }

        // which repositories the operator serves: the server policy's alone, never a repository's
        var allowed = settings.Policy?.Repositories is { Restricts: true } list ? $"[{string.Join(", ", list.Patterns)}]  [server policy]" : "(every repository)  [default]";
        await cli.Stdout.WriteLineAsync($"  {AllowedRepositories.Key.PadRight(width)}  {allowed}").ConfigureAwait(false);
    }
}

public sealed record ProjectRow(string Name, string Dir, string Workspace, int Level, IReadOnlyList<string> DependsOn, IReadOnlyList<string> Modules, IReadOnlyList<string> ParseErrors);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ProjectRow[]))]
internal sealed partial class ProjectsJsonContext : JsonSerializerContext;
