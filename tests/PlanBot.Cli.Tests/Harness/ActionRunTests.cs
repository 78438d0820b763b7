using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Testing;

namespace PlanBot.Cli.Tests.Harness;

/// <summary>
/// The set-up every test of `planbot run` as GitHub Actions runs it shares: a scenario repository
/// (real git, real terraform), the stateful fake GitHub, an event file written per run and the
/// Action's environment, set in a scope undone after the test. A class names its files and what it
/// applies first; the helpers push to a PR branch, commit on main, merge, and build the events GitHub
/// would send.
/// </summary>
public abstract class ActionRunTests : IAsyncLifetime
{
#pragma warning disable CA1051 // the test classes read these as they read their own fields
    protected FakeGitHub _github = null!;
    protected Scenario _scenario = null!;
    protected readonly TempDir _dir;
    protected readonly EnvironmentScope _environment = new();
#pragma warning restore CA1051

    protected ActionRunTests(string name) => _dir = new TempDir(name);

    /// <summary>The repository's files on main before the test.</summary>
    protected abstract Dictionary<string, string> Files { get; }

    /// <summary>What a PR branch starts from: main, or (null) whatever is checked out, so pushes to one PR pile up.</summary>
    protected virtual string? PushFrom => "main";

    /// <summary>After the repository is created: apply projects, give people roles.</summary>
    protected virtual Task ArrangeAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync();
        _scenario = await Scenario.CreateAsync(Files);
        await ArrangeAsync();
    }

    public async Task DisposeAsync()
    {
        _environment.Dispose();
        await _github.DisposeAsync();
        _scenario.Dispose();
        _dir.Dispose();
    }

    /// <summary>A run's data dir: a fresh, empty one per run by default (a GitHub-hosted runner keeps nothing).</summary>
    protected virtual string DataDirFor(string run) => _dir.Combine($"data-{run}");

    protected void Set(string name, string? value) => _environment.Set(name, value);

    /// <summary>`planbot run` for one event, as the Action runs it; returns the exit code and stderr.</summary>
    /// <param name="runId">The workflow run (GITHUB_RUN_ID) the jobs of a fan-out share; null: a new one.</param>
    protected async Task<(int Code, string Err)> RunAsync(string eventName, JsonObject payload, string? dataDir = null, string? runId = null)
    {
        var job = Guid.NewGuid().ToString("N")[..8];
        var run = runId ?? job;
        var eventPath = _dir.Combine($"event-{job}.json");
        await File.WriteAllTextAsync(eventPath, payload.ToJsonString());
        Set("GITHUB_EVENT_NAME", eventName);
        Set("GITHUB_EVENT_PATH", eventPath);
        Set("GITHUB_REPOSITORY", "acme/infra");
        Set("GITHUB_TOKEN", FakeGitHub.Token);
        Set("GITHUB_API_URL", _github.Url.ToString());
        Set("GITHUB_WORKSPACE", _scenario.Repo.Root);
        Set("GITHUB_RUN_ID", run);
        Set("PLANBOT_DATA_DIR", dataDir ?? DataDirFor(job));
        Set("GITHUB_OUTPUT", _dir.Combine("output"));
        Set("GITHUB_STEP_SUMMARY", _dir.Combine("summary.md"));
        return await InvokeAsync(["run"]);
    }

    /// <summary>
    /// Runs `planbot <paramref name="args"/>` with the variables set so far: in this process by default;
    /// PlanBot.Published.Tests runs the published executable instead.
    /// </summary>
    protected virtual async Task<(int Code, string Err)> InvokeAsync(string[] args)
    {
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, new StringWriter(), stderr);
        return (code, stderr.ToString());
    }

    /// <summary>A commit on the PR's branch, registered as the PR (head, base, changed files, a file:// clone URL) on the fake GitHub.</summary>
    protected async Task<string> PushAsync(int pr, Dictionary<string, string> files)
    {
        string[] checkout = PushFrom is { } from ? ["checkout", "-q", "-B", $"pr-{pr}", from] : ["checkout", "-q", "-B", $"pr-{pr}"];
        await _scenario.Repo.GitAsync(checkout);
        foreach (var (path, content) in files)
        {
            _scenario.Repo.Write(path, content);
        }

        var head = await _scenario.Repo.CommitAsync($"push to #{pr}");
        var baseSha = (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim();
        _github.AddPull(pr, head, baseSha);
        _github.Pulls[pr]["base"]!["repo"]!["clone_url"] = new Uri(_scenario.Repo.Root).AbsoluteUri; // the service clones it (file:// is allowed in tests)
        _github.PullFiles[pr] = [.. files.Keys];
        return head;
    }

    /// <summary>A commit on main: the trusted side a PR's policy comes from.</summary>
    protected async Task OnMainAsync(string path, string content)
    {
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write(path, content);
        await _scenario.Repo.CommitAsync($"main: {path}");
    }

    /// <summary>Merges the PR's branch into main with a merge commit and marks the PR merged on the fake GitHub; returns the merge SHA.</summary>
    protected async Task<string> MergeAsync(int pr)
    {
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        await _scenario.Repo.GitAsync("-c", "user.name=Test", "-c", "user.email=test@planbot.invalid", "merge", "-q", "--no-ff", $"pr-{pr}", "-m", $"Merge #{pr}");
        var sha = (await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim();
        _github.Pulls[pr]["merged"] = true;
        _github.Pulls[pr]["state"] = "closed";
        _github.Pulls[pr]["merge_commit_sha"] = sha;
        _github.CommitPulls[sha] = [pr];
        return sha;
    }

    protected JsonObject PullRequestEvent(int pr, string action = "synchronize") => new()
    {
        ["action"] = action,
        ["number"] = pr,
        ["pull_request"] = JsonNode.Parse(_github.Pulls[pr].ToJsonString()),
        ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" },
    };

    /// <summary>A comment posted on the fake GitHub (at <paramref name="created"/>, else now) and the issue_comment event for it.</summary>
    protected JsonObject CommentEvent(int pr, string body, string user, DateTimeOffset? created = null)
    {
        var comment = _github.AddComment(pr, body, user, created);
        return new JsonObject
        {
            ["action"] = "created",
            ["issue"] = new JsonObject { ["number"] = pr, ["pull_request"] = new JsonObject { ["url"] = "x" } },
            ["comment"] = new JsonObject { ["id"] = comment.Id, ["body"] = body, ["user"] = new JsonObject { ["login"] = user, ["type"] = "User" }, ["created_at"] = comment.Created, ["updated_at"] = comment.Updated },
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra" },
        };
    }

    /// <summary>The push of <paramref name="sha"/> to main.</summary>
    protected static JsonObject Push(string sha) => new()
    {
        ["ref"] = "refs/heads/main",
        ["after"] = sha,
        ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" },
    };

    /// <summary>A project's local terraform state, as text.</summary>
    protected string State(string project) => File.ReadAllText(Path.Combine(_scenario.Repo.Root, project, "terraform.tfstate"));
}
