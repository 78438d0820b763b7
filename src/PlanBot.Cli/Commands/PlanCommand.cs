using System.CommandLine;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Files;
using PlanBot.Terraform.Git;

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
            var report = await RunAsync(cli, parse.GetValue(repo)!, parse.GetValue(baseRef)!, parse.GetValue(headRef)!, parse.GetValue(projects) ?? [], Engine.DataDir, cancellationToken).ConfigureAwait(false);
            var config = ConfigLoader.Load(Path.GetFullPath(parse.GetValue(repo)!));
            await output.WriteAsync(cli, parse, report, config.Comments, cancellationToken).ConfigureAwait(false);
            return ExitCodes.For(report);
        });
        return command;
    }

    /// <summary>`dir:X` (from `/planbot plan -d X`) becomes the names of the projects in that dir.</summary>
    private static List<string> ResolveDirs(string tree, IReadOnlyList<string> projects)
    {
        if (!projects.Any(p => p.StartsWith("dir:", StringComparison.Ordinal)))
        {
            return [.. projects];
        }

        var discovered = Core.Discovery.ProjectDiscovery.Discover(new DiskFileTree(tree), ConfigLoader.Load(tree)).Projects;
        return [.. projects.SelectMany(p => !p.StartsWith("dir:", StringComparison.Ordinal) ? [p]
            : discovered.Where(d => d.Dir == p[4..].Trim('/')).Select(d => d.Name).DefaultIfEmpty("").Select(n => n.Length > 0 ? n
                : throw new UsageException($"-d {p[4..]} is not a project dir here; project dirs: {string.Join(", ", discovered.Select(d => d.Dir).Distinct())}")))];
    }

    /// <summary>
    /// Where a run keeps its plan files: per head, and per run when there is one, so two runs of one
    /// commit (the apply of a merge and a drift check of the same head) never share a plan file.
    /// </summary>
    public static string ArtifactsDir(string dataDir, string headSha, string? runId) =>
        Path.Combine(dataDir, "runs", runId is null ? headSha[..12] : $"{headSha[..12]}-{RunDirSuffix(runId)}");

    /// <summary>The file-system-safe form of a run id, as <see cref="ArtifactsDir"/> ends with it.</summary>
    public static string RunDirSuffix(string runId) => Core.Workflows.PlanWorkflow.SafeName(runId);

    /// <summary>Plans in place when head is the checked-out commit; otherwise in a temporary worktree at head.</summary>
    public static async Task<RunReport> RunAsync(CliContext cli, string repoDir, string baseRef, string headRef, IReadOnlyList<string> projects, string dataDir, CancellationToken cancellationToken,
        LockOwner? owner = null, IReadOnlyList<ChangedFile>? changedFiles = null, ILockStore? locks = null, bool projectLocks = true)
    {
        var repo = Path.GetFullPath(repoDir);
        if (!Directory.Exists(repo))
        {
            throw new UsageException($"--repo {repoDir}: no such directory");
        }

        var git = new GitCli();
        var headSha = await git.ResolveAsync(repo, headRef, cancellationToken).ConfigureAwait(false);
        string baseSha;
        try
        {
            baseSha = await git.ResolveAsync(repo, baseRef, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException) when (baseRef == "origin/HEAD")
        {
            throw new UsageException("origin/HEAD does not exist in this checkout: pass the branch the change is compared with, e.g. --base main");
        }

        var checkedOut = await git.ResolveAsync(repo, "HEAD", cancellationToken).ConfigureAwait(false);
        var workTree = repo;
        string? temporary = null;
        if (checkedOut != headSha)
        {
            temporary = Path.Combine(dataDir, "worktrees", headSha[..12]);
            if (Directory.Exists(temporary))
            {
                await git.RemoveWorktreeAsync(repo, temporary, cancellationToken).ConfigureAwait(false);
            }

            cli.Progress.Report($"{headRef} is not checked out; planning it in a worktree at {temporary}");
            await git.AddWorktreeAsync(repo, headSha, temporary, cancellationToken).ConfigureAwait(false);
            workTree = temporary;
        }

        try
        {
            var request = new PlanRequest
            {
                Tree = new DiskFileTree(workTree),
                RepoDir = repo,
                BaseSha = baseSha,
                HeadSha = headSha,
                Projects = ResolveDirs(workTree, projects),
                ArtifactsDir = ArtifactsDir(dataDir, headSha, owner?.RunId),
                Owner = owner,
                ChangedFiles = changedFiles,
                TakeProjectLocks = projectLocks,
            };
            return await Engine.PlanWorkflow(cli.Progress, dataDir, locks).RunAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (temporary is not null)
            {
                await git.RemoveWorktreeAsync(repo, temporary, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
