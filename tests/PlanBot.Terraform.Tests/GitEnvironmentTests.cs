using System.Collections;
using PlanBot.Terraform.Checkout;
using PlanBot.Terraform.Git;
using PlanBot.Terraform.Processes;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>
/// PlanBot's git answers about the repository PlanBot names, with that repository's configuration, even when
/// PlanBot's own environment points git elsewhere (real git repositories; the hostile environment is handed to
/// <see cref="GitCli"/> as what it inherits, so the test process's environment is never changed).
/// </summary>
public sealed class GitEnvironmentTests : IAsyncLifetime
{
    private readonly TempDir _dir = new("planbot-gitenv");
    private GitRepo _repo = null!;
    private GitRepo _other = null!;
    private string _head = "";
    private string _otherHead = "";

    public async Task InitializeAsync()
    {
        _repo = await GitRepo.CreateAsync();
        _repo.Write("planbot.yaml", "parallelism: 1\n").Write("a/main.tf", "# a\n");
        await _repo.CommitAsync("one");
        _repo.Write("a/main.tf", "# a2\n");
        _head = await _repo.CommitAsync("two");

        _other = await GitRepo.CreateAsync();
        _other.Write("planbot.yaml", "parallelism: 9\n").Write("elsewhere/main.tf", "# elsewhere\n");
        _otherHead = await _other.CommitAsync("other");
    }

    public Task DisposeAsync()
    {
        _repo.Dispose();
        _other.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>This process's environment plus variables that redirect git to the other repository, its index and a config that runs a hook.</summary>
    private Dictionary<string, string> Hostile(string marker)
    {
        var hooks = Path.Combine(_dir.Path, "hooks");
        Directory.CreateDirectory(hooks);
        var hook = Path.Combine(hooks, "post-checkout");
        File.WriteAllText(hook, $"#!/bin/sh\ntouch '{marker}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        environment["GIT_DIR"] = Path.Combine(_other.Root, ".git");
        environment["GIT_WORK_TREE"] = _other.Root;
        environment["GIT_INDEX_FILE"] = Path.Combine(_other.Root, ".git", "index");
        environment["GIT_CONFIG_COUNT"] = "1";
        environment["GIT_CONFIG_KEY_0"] = "core.hooksPath";
        environment["GIT_CONFIG_VALUE_0"] = hooks;
        environment["GIT_TRACE"] = "1";
        environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"; // kept: a fetch's transport, named by the operator
        return environment;
    }

    [Fact]
    public async Task Git_answers_about_the_repository_planbot_names_whatever_its_environment_points_at()
    {
        var marker = Path.Combine(_dir.Path, "hook-ran");
        var hostile = Hostile(marker);

        // control: a git that inherits this environment unfiltered answers about the other repository
        var stdout = Path.Combine(_dir.Path, "control.out");
        var control = await ChildProcess.RunAsync(new ProcessSpec { FileName = "git", Arguments = ["-C", _repo.Root, "rev-parse", "HEAD"], WorkingDirectory = _repo.Root, Inherited = hostile, StdoutFile = stdout }, CancellationToken.None);
        control.ExitCode.ShouldBe(0);
        (await File.ReadAllTextAsync(stdout)).Trim().ShouldBe(_otherHead, "the hostile environment must redirect an unfiltered git, or this test proves nothing");
        var configOnly = hostile.Where(e => !e.Key.StartsWith("GIT_DIR", StringComparison.Ordinal) && e.Key is not "GIT_WORK_TREE" and not "GIT_INDEX_FILE").ToDictionary();
        await ChildProcess.RunAsync(new ProcessSpec { FileName = "git", Arguments = ["-C", _repo.Root, "config", "core.hooksPath"], WorkingDirectory = _repo.Root, Inherited = configOnly, StdoutFile = stdout }, CancellationToken.None);
        (await File.ReadAllTextAsync(stdout)).Trim().ShouldBe(Path.Combine(_dir.Path, "hooks"), "GIT_CONFIG_COUNT must configure an unfiltered git");
        (await GitCli.RunAsync(_repo.Root, ["config", "core.hooksPath"], CancellationToken.None, allowFailure: true, inherited: hostile)).ShouldBeEmpty();

        var git = new GitCli(hostile);
        (await git.ResolveAsync(_repo.Root, "HEAD", CancellationToken.None)).ShouldBe(_head);
        (await git.ResolveAsync(_repo.Root, "main", CancellationToken.None)).ShouldBe(_head);
        (await git.ShowFirstFileAsync(_repo.Root, _head, ["planbot.yaml"], CancellationToken.None)).ShouldBe(("planbot.yaml", "parallelism: 1\n"), "cat-file reads the named repository's objects");
        (await git.ShowFileAsync(_repo.Root, _head, "planbot.yaml", CancellationToken.None)).ShouldBe("parallelism: 1\n");
        var changes = await git.DiffAsync(_repo.Root, (await git.ResolveAsync(_repo.Root, "HEAD~1", CancellationToken.None)), _head, CancellationToken.None);
        changes.Select(c => c.Path).ShouldBe(["a/main.tf"]);
        (await git.FirstRefAsync(_repo.Root, ["refs/heads/main"], CancellationToken.None)).ShouldBe(_head);

        // a worktree is added to the named repository, its index untouched elsewhere, and the config's hook never runs
        var worktree = Path.Combine(_dir.Path, "wt");
        await git.AddWorktreeAsync(_repo.Root, _head, worktree, CancellationToken.None);
        File.ReadAllText(Path.Combine(worktree, "a", "main.tf")).ShouldBe("# a2\n");
        File.Exists(marker).ShouldBeFalse("core.hooksPath from GIT_CONFIG_COUNT must not reach git");
        (await GitCli.RunAsync(_repo.Root, ["worktree", "list", "--porcelain"], CancellationToken.None)).ShouldContain(worktree);
        await git.RemoveWorktreeAsync(_repo.Root, worktree, CancellationToken.None);
        Directory.Exists(worktree).ShouldBeFalse();

        // what WorktreeCheckout reads from .git/HEAD itself and what git says agree
        await _repo.GitAsync("checkout", "-q", "--detach", _head);
        WorktreeCheckout.DetachedHead(_repo.Root).ShouldBe(await git.ResolveAsync(_repo.Root, "HEAD", CancellationToken.None));
    }

    [Theory]
    [InlineData("GIT_DIR", true)]
    [InlineData("GIT_WORK_TREE", true)]
    [InlineData("GIT_INDEX_FILE", true)]
    [InlineData("GIT_OBJECT_DIRECTORY", true)]
    [InlineData("GIT_ALTERNATE_OBJECT_DIRECTORIES", true)]
    [InlineData("GIT_COMMON_DIR", true)]
    [InlineData("GIT_NAMESPACE", true)]
    [InlineData("GIT_CEILING_DIRECTORIES", true)]
    [InlineData("GIT_CONFIG_PARAMETERS", true)]
    [InlineData("GIT_CONFIG_COUNT", true)]
    [InlineData("GIT_CONFIG_KEY_0", true)]
    [InlineData("GIT_CONFIG_VALUE_0", true)]
    [InlineData("GIT_CONFIG_GLOBAL", true)]
    [InlineData("GIT_EXTERNAL_DIFF", true)]
    [InlineData("GIT_DIFF_OPTS", true)]
    [InlineData("GIT_EXEC_PATH", true)]
    [InlineData("GIT_TEMPLATE_DIR", true)]
    [InlineData("GIT_TRACE", true)]
    [InlineData("GIT_TRACE_CURL", true)]
    [InlineData("GIT_CURL_VERBOSE", true)]
    [InlineData("GIT_SSL_NO_VERIFY", true)]
    [InlineData("GIT_PROXY_COMMAND", true)]
    [InlineData("GIT_SOMETHING_GIT_ADDS_NEXT", true)]
    [InlineData("GIT_ASKPASS", false)]
    [InlineData("GIT_SSH_COMMAND", false)]
    [InlineData("GIT_TERMINAL_PROMPT", false)]
    [InlineData("GIT_SSL_CAINFO", false)]
    [InlineData("HOME", false)]
    [InlineData("PATH", false)]
    [InlineData("git_dir", false)]
    public void Every_git_variable_is_withheld_but_a_fetchs_transport_settings(string name, bool withheld) =>
        GitEnvironment.Withheld(name).ShouldBe(withheld);

    [Fact]
    public void The_child_environment_keeps_the_transport_settings_and_sets_no_prompt()
    {
        var child = new Dictionary<string, string?>();
        GitEnvironment.Apply(child, new Dictionary<string, string> { ["PATH"] = "/usr/bin", ["GIT_DIR"] = "/x", ["GIT_ASKPASS"] = "/bin/askpass", ["GIT_TERMINAL_PROMPT"] = "1" });
        child.ShouldBe(new Dictionary<string, string?> { ["PATH"] = "/usr/bin", ["GIT_ASKPASS"] = "/bin/askpass", ["GIT_TERMINAL_PROMPT"] = "0", ["LC_ALL"] = "C" }, ignoreOrder: true);
    }

    /// <summary>
    /// The cat-file batch starts the git on the PATH of the environment it is given, as every other git does
    /// (before, it took the test process's PATH): a wrapper named git there is the one that answers, and a
    /// PATH with no git is told as git missing, not thrown as a start failure.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_cat_file_batch_runs_the_git_on_the_path_it_inherits()
    {
        var bin = Path.Combine(_dir.Path, "bin");
        Directory.CreateDirectory(bin);
        var marker = Path.Combine(_dir.Path, "wrapper-ran");
        var wrapper = Path.Combine(bin, "git");
        var realGit = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "git")).First(File.Exists);
        File.WriteAllText(wrapper, $"#!/bin/sh\necho \"$*\" >> '{marker}'\nexec '{realGit}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string> { ["PATH"] = bin, ["HOME"] = _dir.Path };

        var git = new GitCli(environment);
        (await git.ShowFirstFileAsync(_repo.Root, _head, ["nope.yaml", "planbot.yaml"], CancellationToken.None)).ShouldBe(("planbot.yaml", "parallelism: 1\n"));
        File.ReadAllText(marker).ShouldContain("cat-file --batch");

        var missing = new GitCli(new Dictionary<string, string> { ["PATH"] = Path.Combine(_dir.Path, "empty"), ["HOME"] = _dir.Path });
        var error = await Should.ThrowAsync<PlanBot.Core.Common.UsageException>(() => missing.ShowFirstFileAsync(_repo.Root, _head, ["planbot.yaml"], CancellationToken.None));
        error.Message.ShouldContain("git is not installed or not on PATH");
    }

    /// <summary>
    /// A cat-file batch in a directory that is no repository: git exits at once, and the write that finds its
    /// stdin closed (EPIPE) is told as git's own error, not thrown as a broken pipe.
    /// </summary>
    [Fact]
    public async Task A_batch_in_a_directory_that_is_no_repository_tells_gits_error()
    {
        var plain = Path.Combine(_dir.Path, "plain");
        Directory.CreateDirectory(plain);
        var ceiling = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "", ["HOME"] = _dir.Path };
        await using var objects = await GitObjects.StartAsync(plain, ceiling, CancellationToken.None);
        await Task.Delay(300); // git has exited by now (most runs): the write meets a closed pipe
        var error = await Should.ThrowAsync<PlanBot.Core.Common.UsageException>(() => objects.ReadAsync(_head, CancellationToken.None));
        error.Message.ShouldContain("is it a git repository PlanBot can read?");
    }
}
