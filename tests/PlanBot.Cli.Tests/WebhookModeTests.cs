using System.Net;
using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Cli.Tests.Harness;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>`planbot serve` end to end: a signed delivery in, a clone of the repository, real terraform, the comment on the fake GitHub.</summary>
public sealed class WebhookModeTests : IAsyncLifetime
{
    private FakeGitHub _github = null!;
    private Scenario _scenario = null!;
    private readonly TempDir _data = new("planbot-serve-e2e");
    private readonly EnvironmentScope _environment = new();

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync();
        _scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") });
    }

    public async Task DisposeAsync()
    {
        _environment.Dispose();
        await _github.DisposeAsync();
        _scenario.Dispose();
        _data.Dispose();
    }

    [Fact]
    public async Task A_signed_pull_request_delivery_is_accepted_at_once_and_planned_in_the_background()
    {
        await _scenario.Repo.GitAsync("checkout", "-q", "-B", "pr-12");
        _scenario.Repo.Write("network/main.tf", LocalBackend + Resource("vpc", "10.4.0.0/16"));
        var head = await _scenario.Repo.CommitAsync("change");
        var baseSha = (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim();
        _github.AddPull(12, head, baseSha);
        _github.Pulls[12]["base"]!["repo"]!["clone_url"] = new Uri(_scenario.Repo.Root).AbsoluteUri; // file://, allowed below for the test
        _github.PullFiles[12] = ["network/main.tf"];

        await using var service = await InProcessService.StartAsync(_environment, _github, _data.Path);
        var (http, stderr) = (service.Http, service.Errors);

        var payload = new JsonObject { ["action"] = "opened", ["number"] = 12, ["pull_request"] = JsonNode.Parse(_github.Pulls[12].ToJsonString()), ["repository"] = new JsonObject { ["full_name"] = "acme/infra" } }.ToJsonString();
        (await DeliverAsync(http, "pull_request", payload)).ShouldBe(HttpStatusCode.Accepted);

        for (var i = 0; i < 600 && _github.Statuses.Count == 0; i++)
        {
            await Task.Delay(100);
        }

        _github.CommentsOn(12).Single().Body.ShouldContain($"### PlanBot plan for `{head[..7]}`");
        _github.Statuses.Single().ShouldBe((head, "success", "planbot/apply-gate", "planned; no approval needed"));
        var clone = Directory.GetDirectories(Path.Combine(_data.Path, "workspaces"), "pr-12", SearchOption.AllDirectories).Single();
        (await File.ReadAllTextAsync(Path.Combine(clone, ".git", "config"))).ShouldNotContain(FakeGitHub.Token, Case.Sensitive, "the token is passed per command, never stored");
        (await File.ReadAllTextAsync(Path.Combine(clone, ".git", "config"))).ShouldNotContain("extraHeader", Case.Insensitive);

        (await service.StopAsync()).ShouldBe(0, stderr.ToString());
    }

    [Fact]
    public async Task The_service_checks_its_repositories_for_drift_on_its_interval_and_opens_the_drift_issue()
    {
        // the repository as the service clones it: a bare copy at <base>/acme/infra.git (the state is not in git, so every resource is missing)
        var remotes = _data.Combine("remotes");
        Directory.CreateDirectory(Path.Combine(remotes, "acme"));
        await _scenario.Repo.GitAsync("clone", "-q", "--bare", _scenario.Repo.Root, Path.Combine(remotes, "acme", "infra.git"));
        _environment.Set("PLANBOT_DRIFT_REPOS", "acme/infra");
        _environment.Set("PLANBOT_CLONE_BASE_URL", new Uri(remotes + "/").AbsoluteUri);
        await using var service = await InProcessService.StartAsync(_environment, _github, _data.Combine("service"), "--drift-interval", "1h");
        var stderr = service.Errors;

        for (var i = 0; i < 600 && _github.Issues.Count == 0; i++)
        {
            await Task.Delay(100);
        }

        var issue = _github.Issues.Values.Single();
        issue.Title.ShouldBe("PlanBot drift report", stderr.ToString());
        issue.Body.ShouldContain("| `network` | `network` | ⚠️ drifted | 1 |");
        (await service.StopAsync()).ShouldBe(0, stderr.ToString());
        Directory.EnumerateFiles(_data.Combine("service", "runs"), "*", SearchOption.AllDirectories).ShouldBeEmpty("the drift check's plan files are deleted too");
    }

    private static Task<HttpStatusCode> DeliverAsync(HttpClient http, string eventName, string payload) => InProcessService.DeliverAsync(http, eventName, payload);

    /// <summary>A PR whose change touches the foundational `network` project (approval needed), served from the scenario repo.</summary>
    private async Task<(string Head, string CloneUrl)> FoundationalPullAsync(int pr, string cidr)
    {
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\napproval: { foundational_paths: [\"network\"] }\n");
        await _scenario.Repo.CommitAsync("config");
        await _scenario.Repo.GitAsync("checkout", "-q", "-B", $"pr-{pr}");
        _scenario.Repo.Write("network/main.tf", LocalBackend + Resource("vpc", cidr));
        var head = await _scenario.Repo.CommitAsync("change");
        var baseSha = (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim();
        var cloneUrl = new Uri(_scenario.Repo.Root).AbsoluteUri;
        _github.AddPull(pr, head, baseSha);
        _github.Pulls[pr]["base"]!["repo"]!["clone_url"] = cloneUrl;
        _github.PullFiles[pr] = ["network/main.tf"];
        _github.Permissions["carol"] = ("write", "maintain");
        return (head, cloneUrl);
    }

    /// <summary>A pull_request delivery of the PR as the fake GitHub has it now.</summary>
    private string PullPayload(int pr, string action) =>
        new JsonObject { ["action"] = action, ["number"] = pr, ["pull_request"] = JsonNode.Parse(_github.Pulls[pr].ToJsonString()), ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" } }.ToJsonString();

    /// <summary>An issue_comment delivery of a new comment, added to the fake GitHub first.</summary>
    private string CommentPayload(int pr, string body, string user)
    {
        var comment = _github.AddComment(pr, body, user);
        return new JsonObject
        {
            ["action"] = "created",
            ["issue"] = new JsonObject { ["number"] = pr, ["pull_request"] = new JsonObject { ["url"] = "x" } },
            ["comment"] = new JsonObject { ["id"] = comment.Id, ["body"] = comment.Body, ["user"] = new JsonObject { ["login"] = user, ["type"] = "User" }, ["created_at"] = comment.Created, ["updated_at"] = comment.Updated },
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra" },
        }.ToJsonString();
    }

    private static string PushPayload(string sha, string cloneUrl) =>
        new JsonObject { ["ref"] = "refs/heads/main", ["after"] = sha, ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main", ["clone_url"] = cloneUrl } }.ToJsonString();

    private static Task WaitForAsync(Func<bool> done, string what) => InProcessService.WaitForAsync(done, what);

    [Fact]
    public async Task Through_webhooks_a_foundational_change_waits_for_a_maintainers_approval_and_is_applied_after_the_merge()
    {
        var (head, cloneUrl) = await FoundationalPullAsync(50, "10.50.0.0/16");

        await using var service = await InProcessService.StartAsync(_environment, _github, _data.Combine("service"));
        var (http, stderr) = (service.Http, service.Errors);

        (await DeliverAsync(http, "pull_request", PullPayload(50, "opened"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 1, "the plan");
        _github.Statuses.Single().State.ShouldBe("pending", stderr.ToString());

        // the author may not approve their own change, and write access is not enough
        _github.Permissions["bob"] = ("write", "write");
        (await DeliverAsync(http, "issue_comment", CommentPayload(50, "/planbot approve", "alice"))).ShouldBe(HttpStatusCode.Accepted);
        (await DeliverAsync(http, "issue_comment", CommentPayload(50, "/planbot approve", "bob"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.CommentsOn(50).Any(c => c.Body.StartsWith("@bob your approval does not count", StringComparison.Ordinal)), "the refusals");
        _github.CommentsOn(50).ShouldContain(c => c.Body.StartsWith("@alice your approval does not count: you opened this pull request", StringComparison.Ordinal));
        _github.CommentsOn(50).Single(c => c.Body.StartsWith("@bob", StringComparison.Ordinal)).Body.ShouldContain("your role on acme/infra is write; approvals need at least maintain");
        _github.Statuses.Count.ShouldBe(1, "a refused approval changes nothing");

        (await DeliverAsync(http, "issue_comment", CommentPayload(50, "/planbot approve", "carol"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 2, "the approval");
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "approved: network by @carol"));

        // the approval is in the lock record, not only in the comment: it survives a restart, and a
        // user with write access who wipes PlanBot's comment metadata does not undo it
        (await service.StopAsync()).ShouldBe(0, stderr.ToString());
        await using var restarted = await InProcessService.StartAsync(_environment, _github, _data.Combine("service"));
        (http, stderr) = (restarted.Http, restarted.Errors);
        var locksDb = _data.Combine("service", "state", "locks.db");
        (await new PlanBot.Local.Locks.SqliteLockStore(locksDb, TimeProvider.System).ListAsync("acme/infra", CancellationToken.None))
            .Single(l => l.Key.Kind == PlanBot.Core.Ports.LockKind.Project).Approvals!.ShouldContain("\"user\":\"carol\"");
        var planComment = _github.Comments.FindIndex(c => c.Body.StartsWith("<!-- planbot:plan -->", StringComparison.Ordinal));
        _github.Comments[planComment] = _github.Comments[planComment] with { Body = _github.Comments[planComment].Body.Split("<!-- planbot:meta")[0], Updated = DateTimeOffset.UtcNow };
        (await DeliverAsync(http, "pull_request", PullPayload(50, "synchronize"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 3, "the re-plan");
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "approved: network by @carol"), stderr.ToString());

        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        await _scenario.Repo.GitAsync("-c", "user.name=Test", "-c", "user.email=test@planbot.invalid", "merge", "-q", "--no-ff", "pr-50", "-m", "Merge #50");
        var merge = (await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim();
        _github.Pulls[50]["merged"] = true;
        _github.Pulls[50]["state"] = "closed";
        _github.CommitPulls[merge] = [50];

        // GitHub may deliver the close before the push: the merged PR keeps its locks (and approvals) for the apply
        (await DeliverAsync(http, "pull_request", PullPayload(50, "closed"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => stderr.ToString().Contains("#50 was merged: its project locks stay", StringComparison.Ordinal), "the close");
        (await DeliverAsync(http, "push", PushPayload(merge, cloneUrl))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.CommentsOn(50).Any(c => c.Body.Contains("| `network` | ✅ applied", StringComparison.Ordinal)), "the apply");
        _github.CommentsOn(50).Last().Body.ShouldContain($"### PlanBot apply of `{merge[..7]}` (the merge of #50)");
        // the result comment is written before the locks are released: wait for the release, do not race it
        await WaitForAsync(() => !new PlanBot.Local.Locks.SqliteLockStore(locksDb, TimeProvider.System).ListAsync("acme/infra", CancellationToken.None).GetAwaiter().GetResult()
            .Any(l => l.Key.Kind == PlanBot.Core.Ports.LockKind.Project), "the apply released the project lock");

        (await restarted.StopAsync()).ShouldBe(0, stderr.ToString());
    }

    [Fact]
    public async Task Through_webhooks_a_project_held_back_at_the_merge_is_applied_by_a_new_approval_on_the_merged_pr()
    {
        var (head, cloneUrl) = await FoundationalPullAsync(51, "10.51.0.0/16");
        await using var service = await InProcessService.StartAsync(_environment, _github, _data.Combine("service"));
        var (http, stderr) = (service.Http, service.Errors);

        (await DeliverAsync(http, "pull_request", PullPayload(51, "opened"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 1, "the plan");
        (await DeliverAsync(http, "issue_comment", CommentPayload(51, "/planbot approve", "carol"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 2, "the approval");
        _github.Statuses.Last().State.ShouldBe("success", stderr.ToString());

        // main moves on before the merge: the merged plan is not the approved one, so it is held back
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("network/extra.tf", Resource("extra", "direct"));
        await _scenario.Repo.CommitAsync("a direct push to main");
        await _scenario.Repo.GitAsync("-c", "user.name=Test", "-c", "user.email=test@planbot.invalid", "merge", "-q", "--no-ff", "pr-51", "-m", "Merge #51");
        var merge = (await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim();
        _github.Pulls[51]["merged"] = true;
        _github.Pulls[51]["state"] = "closed";
        _github.Pulls[51]["merge_commit_sha"] = merge;
        _github.CommitPulls[merge] = [51];
        (await DeliverAsync(http, "push", PushPayload(merge, cloneUrl))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.CommentsOn(51).Any(c => c.Body.Contains("| `network` | ⏸️ held back", StringComparison.Ordinal)), "the held-back apply");

        // a new approval on the merged PR approves the merged plan and applies it: the merge is still main's head
        (await DeliverAsync(http, "issue_comment", CommentPayload(51, "/planbot approve", "carol"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.CommentsOn(51).Any(c => System.Text.RegularExpressions.Regex.IsMatch(c.Body, @"\| `network` \| ✅ applied[^|]*: 2 added")), "the apply of the merged plan");
        (await service.StopAsync()).ShouldBe(0, stderr.ToString());
        Directory.EnumerateFiles(_data.Combine("service", "runs"), "*", SearchOption.AllDirectories).ShouldBeEmpty("plan files hold secrets: none stay on the service's disk");
    }
}
