using PlanBot.Core.Runs;
using System.Text.Json;
using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Core.Workflows;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>Drift with real terraform: state changed behind Terraform's back, then put back; the drift issue's lifecycle on the fake GitHub.</summary>
public sealed class DriftTests : IAsyncLifetime
{
    private Scenario _scenario = null!;
    private FakeGitHub _github = null!;
    private readonly TempDir _dir = new("planbot-drift");
    private readonly EnvironmentScope _environment = new();

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync();
        _scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16"),
            ["app/main.tf"] = LocalBackend + Resource("svc", "v1"),
        });
        await _scenario.ApplyAsync("network");
        await _scenario.ApplyAsync("app");
        _environment.Set("PLANBOT_DATA_DIR", _dir.Combine("data"));
    }

    public async Task DisposeAsync()
    {
        _environment.Dispose();
        await _github.DisposeAsync();
        _scenario.Dispose();
        _dir.Dispose();
    }

    /// <summary>What someone editing in the console does to terraform_data: the object no longer matches the configuration.</summary>
    private string ChangeOutOfBand(string project, string from, string to)
    {
        var path = Path.Combine(_scenario.Repo.Root, project, "terraform.tfstate");
        var original = File.ReadAllText(path);
        File.WriteAllText(path, original.Replace($"\"{from}\"", $"\"{to}\"", StringComparison.Ordinal));
        return original;
    }

    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(args);

    [Fact]
    public async Task A_state_changed_behind_terraforms_back_is_drifted_with_its_resources_and_in_sync_once_put_back()
    {
        var (code, output, errors) = await Run("drift", "--repo", _scenario.Repo.Root);
        code.ShouldBe(0, errors);
        output.ShouldContain("**0 drifted** · 0 failed · 2 in sync");

        var original = ChangeOutOfBand("network", "10.0.0.0/16", "10.9.9.0/24");
        var json = _dir.Combine("drift.json");
        (code, output, errors) = await Run("drift", "--repo", _scenario.Repo.Root, "--json-out", json);
        code.ShouldBe(DriftReport.DriftedExitCode, errors);
        using (var report = JsonDocument.Parse(await File.ReadAllTextAsync(json)))
        {
            var projects = report.RootElement.GetProperty("projects").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
            projects["network"].GetProperty("status").GetString().ShouldBe("drifted");
            projects["network"].GetProperty("resources").EnumerateArray().Select(r => r.GetString()).ShouldBe(["terraform_data.vpc"]);
            projects["app"].GetProperty("status").GetString().ShouldBe("in_sync");
        }

        output.ShouldContain("| `network` | `network` | ⚠️ drifted | 1 |");
        output.ShouldContain("~ input = \"10.9.9.0/24\" -> \"10.0.0.0/16\"");

        await File.WriteAllTextAsync(Path.Combine(_scenario.Repo.Root, "network", "terraform.tfstate"), original);
        (code, _, errors) = await Run("drift", "--repo", _scenario.Repo.Root, "-p", "network");
        code.ShouldBe(0, errors);
    }

    [Fact]
    public async Task The_drift_issue_is_created_left_alone_while_unchanged_updated_when_more_drifts_and_closed_when_back_in_sync()
    {
        var eventPath = _dir.Combine("schedule.json");
        await File.WriteAllTextAsync(eventPath, new JsonObject { ["schedule"] = "17 3 * * *", ["repository"] = new JsonObject { ["full_name"] = "acme/infra" } }.ToJsonString());
        _environment.Set("GITHUB_EVENT_NAME", "schedule");
        _environment.Set("GITHUB_EVENT_PATH", eventPath);
        _environment.Set("GITHUB_REPOSITORY", "acme/infra");
        _environment.Set("GITHUB_TOKEN", FakeGitHub.Token);
        _environment.Set("GITHUB_API_URL", _github.Url.ToString());
        _environment.Set("GITHUB_WORKSPACE", _scenario.Repo.Root);
        _environment.Set("GITHUB_OUTPUT", _dir.Combine("output"));
        _environment.Set("GITHUB_STEP_SUMMARY", _dir.Combine("summary.md"));

        // in sync: no issue at all
        (await Run("run")).Code.ShouldBe(0);
        _github.Issues.ShouldBeEmpty();

        // network drifts: the issue is created
        var network = ChangeOutOfBand("network", "10.0.0.0/16", "10.1.0.0/16");
        (await Run("run")).Code.ShouldBe(DriftReport.DriftedExitCode);
        var issue = _github.Issues.Values.Single();
        issue.Title.ShouldBe("PlanBot drift report");
        issue.Labels.ShouldBe(["planbot-drift"]);
        issue.Body.ShouldContain("| `network` | `network` | ⚠️ drifted | 1 |");
        (await File.ReadAllTextAsync(_dir.Combine("output"))).ShouldContain("drifted-projects=network\n");

        // unchanged: no edit, no comment
        _github.Calls.Clear();
        (await Run("run")).Code.ShouldBe(DriftReport.DriftedExitCode);
        _github.Calls.ShouldAllBe(c => c.StartsWith("GET", StringComparison.Ordinal));

        // app drifts too: the body is edited and a comment names the newcomer
        var app = ChangeOutOfBand("app", "v1", "v0");
        (await Run("run")).Code.ShouldBe(DriftReport.DriftedExitCode);
        _github.Issues[issue.Number].Body.ShouldContain("| `app` | `app` | ⚠️ drifted | 1 |");
        _github.CommentsOn(issue.Number).Single().Body.ShouldStartWith("⚠️ Newly drifted: `app` (1 resource)");

        // back in sync: a comment, and closed
        await File.WriteAllTextAsync(Path.Combine(_scenario.Repo.Root, "network", "terraform.tfstate"), network);
        await File.WriteAllTextAsync(Path.Combine(_scenario.Repo.Root, "app", "terraform.tfstate"), app);
        (await Run("run")).Code.ShouldBe(0);
        _github.Issues[issue.Number].State.ShouldBe("closed");
        _github.CommentsOn(issue.Number).Last().Body.ShouldStartWith("✅ Every project is back in sync");
    }
}
