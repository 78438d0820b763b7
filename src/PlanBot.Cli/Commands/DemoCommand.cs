using PlanBot.Core.Runs;
using System.CommandLine;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Graph;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Files;
using PlanBot.Terraform.Git;

using Microsoft.Extensions.DependencyInjection;
using PlanBot.Hosting;
using PlanBot.Core.Common;

namespace PlanBot.Cli.Commands;

/// <summary>
/// `planbot demo`: the bundled example end to end, offline. Copies examples/monorepo to a temporary git
/// repository, applies its base commit (so updates, replaces and deletes have prior state), commits
/// the change in examples/demo-pr.patch on a branch, and plans that branch against main.
/// </summary>
public static class DemoCommand
{
    private static readonly string[] Identity = ["-c", "user.name=PlanBot demo", "-c", "user.email=demo@planbot.invalid", "-c", "commit.gpgsign=false"];

    public static Command Create(CliContext cli)
    {
        var example = new Option<string?>("--example") { Description = "The example monorepo (default: examples/monorepo of this checkout)" };
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary repository to look around in" };
        var output = new ReportOutput();
        var command = new Command("demo", "Plan a realistic pull request on the bundled example monorepo (offline, local state)") { example, keep };
        output.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var source = Locate(parse.GetValue(example));
            var patch = Path.Combine(Path.GetDirectoryName(source)!, "demo-pr.patch");
            var repo = Path.Combine(Path.GetTempPath(), "planbot-demo-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                var report = await RunAsync(cli, source, patch, repo, cancellationToken).ConfigureAwait(false);
                var config = cli.Settings.LoadConfig(repo).Config;
                await output.WriteAsync(cli, parse, report, config.Comments, cancellationToken).ConfigureAwait(false);
                return ExitCodes.For(report);
            }
            finally
            {
                if (parse.GetValue(keep))
                {
                    cli.Progress.Report($"demo: kept the repository at {repo}");
                }
                else if (Directory.Exists(repo))
                {
                    Directory.Delete(repo, recursive: true);
                }
            }
        });
        return command;
    }

    public static async Task<RunReport> RunAsync(CliContext cli, string source, string patch, string repo, CancellationToken cancellationToken)
    {
        var say = cli.Progress;
        if (!File.Exists(patch))
        {
            throw new UsageException($"the demo change {patch} is missing; restore it from git");
        }

        say.Report($"demo: copying {source} to {repo}");
        Copy(source, repo);
        await Git(repo, cancellationToken, "init", "-q", "-b", "main").ConfigureAwait(false);
        await Git(repo, cancellationToken, "add", "-A").ConfigureAwait(false);
        await Git(repo, cancellationToken, [.. Identity, "commit", "-q", "-m", "Base infrastructure"]).ConfigureAwait(false);

        say.Report("demo: applying the base commit to local state, so the change has something to update, replace and delete");
        await ApplyAllAsync(cli, repo, cancellationToken).ConfigureAwait(false);

        say.Report($"demo: committing the pull request's change ({Path.GetFileName(patch)}) on branch feature/demo");
        await Git(repo, cancellationToken, "checkout", "-q", "-b", "feature/demo").ConfigureAwait(false);
        await Git(repo, cancellationToken, "apply", "--whitespace=nowarn", patch).ConfigureAwait(false);
        await Git(repo, cancellationToken, "add", "-A").ConfigureAwait(false);
        await Git(repo, cancellationToken, [.. Identity, "commit", "-q", "-m", "Scale staging, upgrade its database, drop its cache"]).ConfigureAwait(false);

        say.Report("demo: planning feature/demo against main");
        return await PlanAsync(cli, repo, ProjectSelection.Affected, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The demo keeps its plans, logs and state in its own repository's .planbot.</summary>
    private static PlanBotSettings Settings(CliContext cli, string repo) => cli.Settings with { DataDir = Path.Combine(repo, ".planbot") };

    private static async Task<RunReport> PlanAsync(CliContext cli, string repo, ProjectSelection selection, CancellationToken cancellationToken)
    {
        var settings = Settings(cli, repo);
        await using var services = cli.Services(settings);
        var target = new PlanTarget { RepoDir = repo, BaseRef = "main", HeadRef = "HEAD", Selection = selection };
        return await services.GetRequiredService<IPlanRunner>().PlanAsync(target, settings.LoadConfig(repo).Config, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Plans and applies every project level by level: an app can only plan once its network's state exists.</summary>
    private static async Task ApplyAllAsync(CliContext cli, string repo, CancellationToken cancellationToken)
    {
        var config = cli.Settings.LoadConfig(repo).Config;
        var projects = ProjectDiscovery.Discover(new DiskFileTree(repo), config).Projects;
        var levels = ProjectGraph.Build(projects).Levels(projects.Select(p => p.Name).ToArray());
        var terraform = PlanBotServices.Terraform(config.Terraform, Settings(cli, repo));
        foreach (var level in levels)
        {
            var planned = await PlanAsync(cli, repo, ProjectSelection.Of(level), cancellationToken).ConfigureAwait(false);
            foreach (var project in planned.Projects)
            {
                if (project.PlanFile is null)
                {
                    throw new UsageException($"demo: could not plan {project.Project.Name} of the base commit: {project.Error}");
                }

                cli.Progress.Report($"demo: terraform apply {project.Project.Name}");
                var context = new TerraformContext { WorkingDir = Path.Combine(repo, project.Project.Dir), LogFile = project.LogFile! };
                var applied = await terraform.ApplyAsync(context, project.PlanFile, cancellationToken).ConfigureAwait(false);
                if (!applied.Ok)
                {
                    throw new UsageException($"demo: terraform apply failed in {project.Project.Name}: {applied.Error} (log: {project.LogFile})");
                }
            }
        }
    }

    private static Task<string> Git(string repo, CancellationToken cancellationToken, params string[] arguments) =>
        GitCli.RunAsync(repo, arguments, cancellationToken);

    private static void Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(s => s is ".terraform" or ".planbot") || relative.Contains(".tfstate", StringComparison.Ordinal))
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>examples/monorepo of the checkout this command runs from (searched upwards from here and from the binary).</summary>
    private static string Locate(string? given)
    {
        if (given is not null)
        {
            return Directory.Exists(given) ? Path.GetFullPath(given) : throw new UsageException($"--example {given}: no such directory");
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "examples", "monorepo");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new UsageException("cannot find examples/monorepo: run from the PlanBot checkout or pass --example DIR");
    }
}
