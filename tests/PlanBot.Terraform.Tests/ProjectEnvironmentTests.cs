using PlanBot.Terraform.Processes;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>What a project's process inherits: everything but PlanBot's credentials, plus what is given explicitly.</summary>
public class ProjectEnvironmentTests
{
    [Fact]
    public async Task A_child_gets_no_withheld_variable_not_even_empty_but_an_explicit_one_wins()
    {
        // names unique to this test, so setting them races with nothing else in the process
        var unique = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var withheld = $"PLANBOT_TEST_{unique}_SECRET";
        var input = $"INPUT_TEST-{unique}";
        var kept = $"TEST_{unique}_KEPT";
        Environment.SetEnvironmentVariable(withheld, "planbot-secret-value");
        Environment.SetEnvironmentVariable(input, "input-value");
        Environment.SetEnvironmentVariable(kept, "kept-value");
        try
        {
            using var dir = new TempDir();
            var outcome = await ChildProcess.RunAsync(new ProcessSpec
            {
                FileName = "env",
                WorkingDirectory = dir.Path,
                Environment = ProjectEnvironment.Build(new Dictionary<string, string?> { ["GITHUB_TOKEN"] = "explicit-provider-token" }),
            }, CancellationToken.None);
            outcome.ExitCode.ShouldBe(0);
            var lines = outcome.StdoutTail.Split('\n');
            lines.ShouldNotContain(l => l.StartsWith(withheld + "=", StringComparison.Ordinal));
            lines.ShouldNotContain(l => l.StartsWith(input + "=", StringComparison.Ordinal));
            lines.ShouldContain($"{kept}=kept-value");
            lines.ShouldContain("GITHUB_TOKEN=explicit-provider-token");
            lines.ShouldNotContain(l => l.StartsWith("ACTIONS_RUNTIME_TOKEN=", StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable(withheld, null);
            Environment.SetEnvironmentVariable(input, null);
            Environment.SetEnvironmentVariable(kept, null);
        }
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
