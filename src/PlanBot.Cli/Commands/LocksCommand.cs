using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Aws.Locks;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Hosting;
using PlanBot.Terraform.Files;
using PlanBot.Terraform.Git;
using PlanBot.Core.Common;

namespace PlanBot.Cli.Commands;

/// <summary>
/// `planbot locks list|release`: PlanBot's project and run locks in the configured backend, and
/// terraform's own state locks in a shared DynamoDB table. Releasing a terraform state lock
/// (`terraform force-unlock`) stays an explicit admin action outside PlanBot.
/// </summary>
public static class LocksCommand
{
    public static Command Create(CliContext cli)
    {
        var command = new Command("locks", "List or release PlanBot's project locks");
        var repo = new Option<string>("--repo") { Description = "The checkout whose planbot.yaml names the lock backend", DefaultValueFactory = _ => "." };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var list = new Command("list", "List held locks (and terraform state locks in a shared DynamoDB table)") { repo, json };
        list.SetAction(async (parse, cancellationToken) =>
        {
            var (store, repository, _) = await OpenAsync(cli, parse.GetValue(repo)!, cancellationToken).ConfigureAwait(false);
            var locks = await store.ListAsync(repository, cancellationToken).ConfigureAwait(false);
            var terraform = store is DynamoDbLockStore dynamo ? await dynamo.ListTerraformLocksAsync(cancellationToken).ConfigureAwait(false) : [];
            if (parse.GetValue(json))
            {
                var rows = new LocksJson(
                    [.. locks.Select(l => new LockJson(l.Key.Kind.ToString().ToLowerInvariant(), l.Key.Repo, l.Key.Dir, l.Key.Workspace, l.Owner.PullRequest, l.Owner.User, l.Owner.HeadSha, l.Owner.RunId, l.Since, l.Expires, ApprovalRecords.ApprovedBy(l.Approvals)))],
                    [.. terraform.Select(t => new TerraformLockJson(t.LockId, t.Info))]);
                await cli.Stdout.WriteLineAsync(JsonSerializer.Serialize(rows, LocksJsonContext.Default.LocksJson)).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await cli.Stdout.WriteLineAsync(locks.Count == 0 ? $"no PlanBot locks held in {repository}" : $"{"KIND",-8} {"PROJECT",-40} {"PR",-6} {"USER",-16} {"SINCE",-20} {"EXPIRES",-20} APPROVED BY").ConfigureAwait(false);
            foreach (var l in locks)
            {
                await cli.Stdout.WriteLineAsync($"{l.Key.Kind.ToString().ToLowerInvariant(),-8} {l.Key.Dir + "@" + l.Key.Workspace,-40} #{l.Owner.PullRequest,-5} {l.Owner.User,-16} {l.Since:yyyy-MM-dd HH:mm:ss}  {l.Expires:yyyy-MM-dd HH:mm:ss}  {string.Join(", ", ApprovalRecords.ApprovedBy(l.Approvals).Select(u => "@" + u))}".TrimEnd()).ConfigureAwait(false);
            }

            foreach (var (id, info) in terraform)
            {
                await cli.Stdout.WriteLineAsync($"terraform state lock {id}: {info} (release with `terraform force-unlock` in that project, if its run is really gone)").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });

        var project = new Option<string>("--project", "-p") { Description = "The project whose lock to release", Required = true };
        var pr = new Option<int?>("--pr") { Description = "Release only if this pull request holds it" };
        var release = new Command("release", "Release a project's lock (as /planbot unlock does)") { repo, project, pr };
        release.SetAction(async (parse, cancellationToken) =>
        {
            var (store, repository, discovery) = await OpenAsync(cli, parse.GetValue(repo)!, cancellationToken).ConfigureAwait(false);
            var name = parse.GetValue(project)!;
            var target = discovery.Find(name) ?? throw new UsageException($"--project '{name}' is not a project here; see `planbot projects`");
            var key = new LockKey(LockKind.Project, repository, target.Dir, target.Workspace);
            var held = (await store.ListAsync(repository, cancellationToken).ConfigureAwait(false)).FirstOrDefault(l => l.Key == key);
            if (held is null)
            {
                await cli.Stdout.WriteLineAsync($"{name}: not locked").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            if (parse.GetValue(pr) is { } number && number != held.Owner.PullRequest)
            {
                cli.Stderr.WriteLine($"planbot: {name} is locked by #{held.Owner.PullRequest}, not #{number}; nothing released");
                return ExitCodes.ProjectFailed;
            }

            var result = await store.ReleaseAsync(key, held.Owner, cancellationToken).ConfigureAwait(false);
            cli.Progress.Report($"locks: released {key.Id} held by #{held.Owner.PullRequest} (@{held.Owner.User}) since {held.Since:u}");
            await cli.Stdout.WriteLineAsync(result is LockResult.Released ? $"{name}: released (was held by #{held.Owner.PullRequest})" : $"{name}: not released ({result})").ConfigureAwait(false);
            return result is LockResult.Released ? ExitCodes.Success : ExitCodes.ProjectFailed;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(release);
        return command;
    }

    private static async Task<(ILockStore Store, string Repository, DiscoveryResult Discovery)> OpenAsync(CliContext cli, string dir, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(dir);
        if (!Directory.Exists(root))
        {
            throw new UsageException($"--repo {dir}: no such directory");
        }

        var config = cli.Settings.LoadConfig(root).Config;
        var store = new Stores(cli.Settings, TimeProvider.System).Locks(config);
        return (store, await RepositoryName(cli.Settings, root, cancellationToken).ConfigureAwait(false), ProjectDiscovery.Discover(new DiskFileTree(root), config));
    }

    /// <summary>owner/name: GITHUB_REPOSITORY in Actions, else the origin remote's path, else the directory name.</summary>
    public static async Task<string> RepositoryName(PlanBotSettings settings, string root, CancellationToken cancellationToken)
    {
        if (settings.Action.Repository is { } repository)
        {
            return repository;
        }

        try
        {
            var url = (await GitCli.RunAsync(root, ["remote", "get-url", "origin"], cancellationToken).ConfigureAwait(false)).Trim();
            var path = url.Contains("://", StringComparison.Ordinal) ? new Uri(url).AbsolutePath : url[(url.IndexOf(':', StringComparison.Ordinal) + 1)..];
            var parts = path.Trim('/').Split('/');
            if (parts.Length >= 2)
            {
                return $"{parts[^2]}/{parts[^1].Replace(".git", "", StringComparison.Ordinal)}";
            }
        }
        catch (UsageException)
        {
            // not a git checkout, or no origin
        }

        return Path.GetFileName(root);
    }
}

internal sealed record LockJson(string Kind, string Repo, string Dir, string Workspace, int PullRequest, string User, string HeadSha, string RunId, DateTimeOffset Since, DateTimeOffset Expires, IReadOnlyList<string> ApprovedBy);

internal sealed record TerraformLockJson(string LockId, string Info);

internal sealed record LocksJson(LockJson[] Locks, TerraformLockJson[] TerraformLocks);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(LocksJson))]
internal sealed partial class LocksJsonContext : JsonSerializerContext;
