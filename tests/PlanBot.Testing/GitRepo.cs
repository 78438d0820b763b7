using PlanBot.Terraform.Git;

namespace PlanBot.Testing;

/// <summary>A real git repository in a temp dir, written to and committed by tests.</summary>
public sealed class GitRepo : IDisposable
{
    private readonly TempDir _dir = new("planbot-repo");

    private GitRepo()
    {
    }

    public string Root => _dir.Path;

    public static async Task<GitRepo> CreateAsync()
    {
        var repo = new GitRepo();
        await repo.GitAsync("init", "-q", "-b", "main");
        repo.Write(".gitignore", ".terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n.planbot/\n");
        return repo;
    }

    public GitRepo Write(string path, string content)
    {
        var full = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return this;
    }

    public GitRepo Delete(string path)
    {
        var full = Path.Combine(Root, path);
        if (Directory.Exists(full))
        {
            Directory.Delete(full, recursive: true);
        }
        else
        {
            File.Delete(full);
        }

        return this;
    }

    public async Task<string> CommitAsync(string message = "change")
    {
        await GitAsync("add", "-A");
        await GitAsync("-c", "user.name=Test", "-c", "user.email=test@planbot.invalid", "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", message);
        return (await GitAsync("rev-parse", "HEAD")).Trim();
    }

    public Task<string> GitAsync(params string[] arguments) => GitCli.RunAsync(Root, arguments, CancellationToken.None);

    public void Dispose() => _dir.Dispose();
}
