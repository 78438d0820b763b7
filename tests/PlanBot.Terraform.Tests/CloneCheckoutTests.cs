using System.Collections;
using System.Text;
using PlanBot.Core.Common;
using PlanBot.Terraform.Checkout;
using PlanBot.Terraform.Git;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>
/// The service's clones carry the installation token in git's environment, never on its command line (which
/// every local user reads in <c>ps</c>) nor in .git/config. Real git behind a <c>git</c> wrapper first on the PATH
/// PlanBot's git inherits (handed over as <c>inherited</c>, so the test process's environment is never changed):
/// the wrapper records each command line, the <c>GIT_CONFIG_*</c> it got and what git itself reads as
/// <c>http.extraHeader</c>, then runs the real git.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // a shell-script wrapper; the service runs on Linux
public sealed class CloneCheckoutTests : IAsyncLifetime
{
    private readonly TempDir _dir = new("planbot-clone");
    private GitRepo _origin = null!;
    private string _head = "";

    public async Task InitializeAsync()
    {
        _origin = await GitRepo.CreateAsync();
        _origin.Write("main.tf", "# main\n");
        _head = await _origin.CommitAsync("one");
    }

    public Task DisposeAsync()
    {
        _origin.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_installation_token_reaches_git_in_its_environment_never_on_its_command_line_or_in_git_config()
    {
        var token = "ghs_canary" + Guid.NewGuid().ToString("N");
        var header = "AUTHORIZATION: basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + token));
        var log = Path.Combine(_dir.Path, "git.log");
        var inherited = WithWrapper($$"""
            { printf 'argv'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\n'
              printf 'env count=%s key=%s value=%s\n' "${GIT_CONFIG_COUNT-}" "${GIT_CONFIG_KEY_0-}" "${GIT_CONFIG_VALUE_0-}"
              printf 'reads %s\n' "$('{{RealGit()}}' config --get-all http.extraHeader)"; } >> '{{log}}'
            """);
        var data = Path.Combine(_dir.Path, "data");
        var checkout = new CloneCheckout(data, (_, _) => Task.FromResult(token), allowFileClone: true, inherited: inherited);
        var url = new Uri(_origin.Root).AbsoluteUri; // file:///tmp/…

        await using (var tree = await checkout.DefaultBranchAsync("acme/infra", _head, url, CancellationToken.None))
        {
            File.ReadAllText(Path.Combine(tree.Root, "main.tf")).ShouldBe("# main\n"); // cloned and checked out through the wrapper
            (await File.ReadAllTextAsync(Path.Combine(tree.RepoDir, ".git", "config"))).ShouldNotContain("extraHeader", Case.Insensitive);
        }

        (await checkout.DefaultBranchHeadAsync("acme/infra", url, CancellationToken.None)).ShouldBe(_head); // ls-remote, with the workspace cloned

        var lines = await File.ReadAllLinesAsync(log);
        var commands = lines.Select((line, i) => (line, i)).Where(l => l.line.StartsWith("argv ", StringComparison.Ordinal)).ToList();
        foreach (var verb in new[] { "[clone]", "[fetch]", "[ls-remote]" })
        {
            var (line, i) = commands.FirstOrDefault(c => c.line.Contains(verb, StringComparison.Ordinal));
            line.ShouldNotBeNull($"no git {verb} ran through the wrapper:\n{string.Join('\n', lines)}");
            lines[i + 1].ShouldBe($"env count=1 key=http.extraHeader value={header}");
            lines[i + 2].ShouldBe($"reads {header}"); // git itself reads the header from that environment (git >= 2.31)
        }

        commands.Count.ShouldBeGreaterThanOrEqualTo(4); // the version check, clone, fetch, checkout, ls-remote…
        foreach (var (line, _) in commands)
        {
            line.ShouldNotContain(token);
            line.ShouldNotContain(header["AUTHORIZATION: basic ".Length..]);
            line.ShouldNotContain("extraHeader", Case.Insensitive);
        }

        foreach (var config in Directory.EnumerateFiles(data, "config", SearchOption.AllDirectories))
        {
            (await File.ReadAllTextAsync(config)).ShouldNotContain(token);
        }
    }

    [Fact]
    public async Task A_git_older_than_2_31_is_refused_before_any_fetch_naming_the_version_needed()
    {
        var inherited = WithWrapper("""
            for a in "$@"; do [ "$a" = --version ] && { echo 'git version 2.30.2'; exit 0; }; done
            """);
        var fetched = false;
        var checkout = new CloneCheckout(Path.Combine(_dir.Path, "data"), (_, _) => { fetched = true; return Task.FromResult("ghs_x"); }, allowFileClone: true, inherited: inherited);

        var error = await Should.ThrowAsync<UsageException>(() => checkout.DefaultBranchAsync("acme/infra", null, new Uri(_origin.Root).AbsoluteUri, CancellationToken.None));
        error.Message.ShouldContain("git version 2.30.2 is too old");
        error.Message.ShouldContain("2.31 or newer");
        fetched.ShouldBeFalse(); // no token asked for, no clone tried
        Directory.Exists(Path.Combine(_dir.Path, "data", "workspaces")).ShouldBeFalse();
    }

    [Fact]
    public async Task Explicit_git_config_in_the_environment_wins_while_inherited_git_config_is_still_withheld()
    {
        var inherited = ThisEnvironment();
        inherited["GIT_CONFIG_COUNT"] = "2";
        inherited["GIT_CONFIG_KEY_0"] = "planbot.probe";
        inherited["GIT_CONFIG_VALUE_0"] = "inherited";
        inherited["GIT_CONFIG_KEY_1"] = "core.hooksPath";
        inherited["GIT_CONFIG_VALUE_1"] = "/tmp/hooks";

        var explicitly = GitEnvironment.Config(("planbot.probe", "explicit"));
        (await GitCli.RunAsync(_origin.Root, ["config", "--get", "planbot.probe"], CancellationToken.None, inherited: inherited, environment: explicitly)).Trim().ShouldBe("explicit");
        (await GitCli.RunAsync(_origin.Root, ["config", "--get", "core.hooksPath"], CancellationToken.None, allowFailure: true, inherited: inherited, environment: explicitly)).ShouldBeEmpty();
        (await GitCli.RunAsync(_origin.Root, ["config", "--get", "planbot.probe"], CancellationToken.None, allowFailure: true, inherited: inherited)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("git version 2.39.5", 2, 39)]
    [InlineData("git version 2.30.1 (Apple Git-130)\n", 2, 30)]
    [InlineData("git version 2.44.0.windows.1", 2, 44)]
    public void Git_versions_are_read_as_git_prints_them(string output, int major, int minor) =>
        GitEnvironment.ParseVersion(output).ShouldBe(new Version(major, minor));

    [Theory]
    [InlineData("")]
    [InlineData("hub version 2.14.2")]
    [InlineData("git version x.y")]
    public void An_answer_naming_no_git_version_is_not_a_version(string output) =>
        GitEnvironment.ParseVersion(output).ShouldBeNull();

    [Fact]
    public void A_config_value_an_environment_variable_cannot_hold_is_refused() =>
        Should.Throw<ArgumentException>(() => GitEnvironment.Config(("http.extraHeader", "a\0b")));

    /// <summary>This process's environment with a <c>git</c> script first on PATH that runs <paramref name="body"/>, then the real git.</summary>
    private Dictionary<string, string> WithWrapper(string body)
    {
        var bin = Path.Combine(_dir.Path, "bin-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(bin);
        var wrapper = Path.Combine(bin, "git");
        File.WriteAllText(wrapper, $"#!/bin/sh\n{body}\nexec '{RealGit()}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = ThisEnvironment();
        environment["PATH"] = bin + Path.PathSeparator + environment.GetValueOrDefault("PATH", "");
        return environment;
    }

    private static Dictionary<string, string> ThisEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return environment;
    }

    /// <summary>The git this process's PATH finds.</summary>
    private static string RealGit() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "git")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("no git on PATH; the integration tests need one");
}
