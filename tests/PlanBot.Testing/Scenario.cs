using PlanBot.Core.Runs;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform;
using PlanBot.Terraform.Files;
using PlanBot.Terraform.Git;

namespace PlanBot.Testing;

/// <summary>
/// A scenario repository for integration tests: real git, real terraform with terraform_data and the
/// local backend. Base files are committed on main and applied; the change goes on a branch.
/// </summary>
public sealed class Scenario : IDisposable
{
    private readonly TempDir _data = new("planbot-data");

    private Scenario(GitRepo repo)
    {
        Repo = repo;
    }

    public GitRepo Repo { get; }

    public string DataDir => _data.Path;

    public static TerraformCli Terraform { get; } = new(new TerraformOptions { LockTimeout = TimeSpan.FromSeconds(2) });

    public static async Task<Scenario> CreateAsync(IReadOnlyDictionary<string, string> files)
    {
        var scenario = new Scenario(await GitRepo.CreateAsync());
        foreach (var (path, content) in files)
        {
            scenario.Repo.Write(path, content);
        }

        await scenario.Repo.CommitAsync("base");
        return scenario;
    }

    /// <summary>init + apply -auto-approve in one project dir, as an operator would have done before.</summary>
    public async Task ApplyAsync(string dir)
    {
        var context = new TerraformContext { WorkingDir = Path.Combine(Repo.Root, dir), LogFile = Path.Combine(DataDir, "apply.log") };
        (await Terraform.InitAsync(context, CancellationToken.None)).Ok.ShouldBeTrueOr($"init {dir}: see {context.LogFile}");
        var plan = Path.Combine(DataDir, Guid.NewGuid().ToString("N") + ".tfplan");
        (await Terraform.PlanAsync(context, plan, CancellationToken.None)).Ok.ShouldBeTrueOr($"plan {dir}: see {context.LogFile}");
        var applied = await Terraform.ApplyAsync(context, plan, CancellationToken.None);
        applied.Ok.ShouldBeTrueOr($"apply {dir}: {applied.Error}");
    }

    /// <summary>Commits the change on a branch and runs the plan workflow for it against main.</summary>
    public async Task<RunReport> PlanChangeAsync(IReadOnlyDictionary<string, string?> changes, IReadOnlyList<string>? projects = null, ITerraform? terraform = null,
        LockOwner? owner = null, ILockStore? locks = null, string branch = "change")
    {
        // "change" builds on whatever is checked out (a follow-up push); any other branch starts from main (another PR).
        await Repo.GitAsync(branch == "change" ? ["checkout", "-q", "-B", branch] : ["checkout", "-q", "-B", branch, "main"]);
        foreach (var (path, content) in changes)
        {
            if (content is null)
            {
                Repo.Delete(path);
            }
            else
            {
                Repo.Write(path, content);
            }
        }

        var head = await Repo.CommitAsync("the change");
        return await PlanHeadAsync(head, projects, terraform, owner, locks);
    }

    /// <summary>Plans the checked-out commit against main again (a re-run, e.g. after `/planbot plan`).</summary>
    public async Task<RunReport> PlanHeadAsync(string head, IReadOnlyList<string>? projects = null, ITerraform? terraform = null, LockOwner? owner = null, ILockStore? locks = null)
    {
        var git = new GitCli();
        var baseSha = await git.ResolveAsync(Repo.Root, "main", CancellationToken.None);
        var workflow = new PlanWorkflow(_ => terraform ?? Terraform, git);
        return await workflow.RunAsync(new PlanRequest
        {
            Tree = new DiskFileTree(Repo.Root),
            RepoDir = Repo.Root,
            BaseSha = baseSha,
            HeadSha = head,
            Config = RunConfigLoader.Load(Repo.Root).Config,
            Selection = ProjectSelection.Of(projects ?? []),
            Locks = locks,
            ArtifactsDir = Path.Combine(DataDir, "runs", head[..12]),
            Owner = owner,
        }, CancellationToken.None);
    }

    public void Dispose()
    {
        Repo.Dispose();
        _data.Dispose();
    }
}

internal static class AssertExtensions
{
    public static void ShouldBeTrueOr(this bool value, string message)
    {
        if (!value)
        {
            throw new InvalidOperationException(message);
        }
    }
}
