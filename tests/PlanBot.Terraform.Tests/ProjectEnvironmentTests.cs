using PlanBot.Terraform.Processes;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>What a project's process inherits: everything but PlanBot's credentials, plus what is given explicitly.</summary>
public class ProjectEnvironmentTests
{
    [Fact]
    public async Task A_child_gets_no_withheld_variable_not_even_empty_but_an_explicit_one_wins()
    {
        // the runner's environment as PlanBotSettings snapshots it: this process's own stays untouched
        var runner = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["PLANBOT_TEST_SECRET"] = "planbot-secret-value",
            ["INPUT_TEST-TOKEN"] = "input-value",
            ["ACTIONS_RUNTIME_TOKEN"] = "runtime-token-value",
            ["GITHUB_TOKEN"] = "planbot-own-token",
            ["TEST_KEPT"] = "kept-value",
        };
        using var dir = new TempDir();
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = "env",
            WorkingDirectory = dir.Path,
            Inherited = runner,
            Environment = ProjectEnvironment.Build(new Dictionary<string, string?> { ["GITHUB_TOKEN"] = "explicit-provider-token" }, runner.Keys),
        }, CancellationToken.None);
        outcome.ExitCode.ShouldBe(0, outcome.StderrTail);
        var lines = outcome.StdoutTail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Order(StringComparer.Ordinal).ToArray().ShouldBe(["GITHUB_TOKEN=explicit-provider-token", "PATH=" + runner["PATH"], "TEST_KEPT=kept-value"], "exactly the snapshot, less the credentials, plus what is explicit");
    }

    [Fact]
    public async Task Without_a_snapshot_the_child_inherits_this_process_environment_less_what_is_withheld_at_spawn()
    {
        // HOME and PATH are in every test process's environment: withholding one by name shows the filter on the live block
        Environment.GetEnvironmentVariable("HOME").ShouldNotBeNullOrEmpty();
        using var dir = new TempDir();
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = "env",
            WorkingDirectory = dir.Path,
            Withhold = name => name == "HOME" || ProjectEnvironment.Withheld(name),
        }, CancellationToken.None);
        outcome.ExitCode.ShouldBe(0, outcome.StderrTail);
        var names = outcome.StdoutTail.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')[0]).ToArray();
        names.ShouldContain("PATH");
        names.ShouldNotContain("HOME");
        names.Where(ProjectEnvironment.Withheld).ShouldBeEmpty();
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // a shell script stands in for terraform
    public async Task A_terraform_run_starts_from_the_runner_snapshot_and_reads_env_from_there()
    {
        using var dir = new TempDir();
        var fake = dir.Combine("fake-terraform");
        File.WriteAllText(fake, "#!/bin/sh\nenv > \"$PWD/seen.env\"\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var runner = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["GITHUB_TOKEN"] = "planbot-own-token",
            ["PLANBOT_PLAN_KEY"] = "planbot-plan-key",
            ["RUNNER_ONLY"] = "runner-value",
        };
        var cli = new TerraformCli(new TerraformOptions { Binary = fake, Runner = runner });
        var context = new Core.Ports.TerraformContext
        {
            WorkingDir = dir.Path,
            LogFile = dir.Combine("tf.log"),
            Run = new Core.Ports.TerraformRun { Env = [new Core.Config.TerraformEnv("TF_VAR_x", "RUNNER_ONLY", FromRunner: true)] },
        };

        (await cli.InitAsync(context, CancellationToken.None)).Ok.ShouldBeTrue(File.ReadAllText(context.LogFile));

        var seen = File.ReadAllLines(dir.Combine("seen.env"));
        seen.ShouldContain("TF_VAR_x=runner-value", "env: {from:} reads the snapshot");
        seen.ShouldContain("RUNNER_ONLY=runner-value");
        seen.ShouldContain("TF_IN_AUTOMATION=1");
        seen.ShouldNotContain(l => l.StartsWith("GITHUB_TOKEN=", StringComparison.Ordinal) || l.StartsWith("PLANBOT_", StringComparison.Ordinal));
        seen.ShouldNotContain(l => l.StartsWith("HOME=", StringComparison.Ordinal), "nothing of this process's own environment: only the snapshot");
    }

    [Fact]
    public void Every_credential_planbot_holds_is_withheld_from_what_is_inherited()
    {
        var changes = ProjectEnvironment.Build(new Dictionary<string, string?>(),
            ["GITHUB_TOKEN", "GH_TOKEN", "INPUT_TOKEN", "INPUT_GITHUB-APP-PRIVATE-KEY", "PLANBOT_GITHUB_APP_PRIVATE_KEY", "PLANBOT_WEBHOOK_SECRET", "PLANBOT_PLAN_KEY",
             "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "AWS_SECRET_ACCESS_KEY", "PATH", "TF_VAR_github_token"]);
        changes.Keys.Order(StringComparer.Ordinal).ShouldBe(["ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_RUNTIME_TOKEN", "GH_TOKEN", "GITHUB_TOKEN",
            "INPUT_GITHUB-APP-PRIVATE-KEY", "INPUT_TOKEN", "PLANBOT_GITHUB_APP_PRIVATE_KEY", "PLANBOT_PLAN_KEY", "PLANBOT_WEBHOOK_SECRET"]);
        changes.Values.ShouldAllBe(v => v == null);
    }
}
