using System.Text.Json;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PlanBot.Cli;
using PlanBot.Core.Comments;
using PlanBot.Hosting;
using PlanBot.Cli.Tests.Harness;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// The operator's side of the trust boundary, end to end through `planbot serve` (strict local
/// locks, real git and terraform, the fake GitHub): the server policy a repository can only tighten,
/// the base branch's policy as it is when the run starts (fetched into the PR's clone), GitHub's time
/// of a plan kept in the lock record, a policy-only PR's own approval item, and allowed_repositories.
/// </summary>
public sealed class ServerPolicyTests : IAsyncLifetime
{
    private FakeGitHub _github = null!;
    private Scenario _scenario = null!;
    private readonly TempDir _data = new("planbot-server-policy");
    private readonly EnvironmentScope _environment = new();

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync();
        _scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16"),
            // the repository tries to loosen the approvers' role; the server policy says maintain
            ["planbot.yaml"] = "locks: { backend: local }\napproval: { foundational_paths: [network], approvers: { min_permission: write } }\n",
        });
        _github.Permissions["bob"] = ("write", "write");
        _github.Permissions["carol"] = ("write", "maintain");
    }

    public async Task DisposeAsync()
    {
        _environment.Dispose();
        await _github.DisposeAsync();
        _scenario.Dispose();
        _data.Dispose();
    }

    [Fact]
    public async Task A_bad_policy_stops_serve_and_run_at_start_with_file_and_line()
    {
        var policy = _data.Combine("policy.yaml");
        await File.WriteAllTextAsync(policy, "approval: { destructive: true }\nprojects:\n  - { dir: app }\n");
        var settings = PlanBotSettings.From(name => name switch { "PLANBOT_DATA_DIR" => _data.Combine("d"), "PLANBOT_WEBHOOK_SECRET" => "s", "GITHUB_TOKEN" => "t", _ => null });

        var stderr = new StringWriter();
        (await CliApp.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--policy", policy], new StringWriter(), stderr, settings)).ShouldBe(2);
        stderr.ToString().ShouldContain($"{policy}:3:5: 'projects' is not a policy key");

        stderr = new StringWriter();
        (await CliApp.RunAsync(["run"], new StringWriter(), stderr, settings with { PolicyFile = _data.Combine("nope.yaml") })).ShouldBe(2);
        stderr.ToString().ShouldContain("cannot read the server policy");
    }

    [Fact]
    public async Task Projects_shows_where_each_policy_key_comes_from()
    {
        var policy = _data.Combine("policy.yaml");
        await File.WriteAllTextAsync(policy, "approval: { approvers: { min_permission: maintain } }\npull_requests: { plan_forks: false }\n");
        var stdout = new StringWriter();
        var settings = PlanBotSettings.From(name => name == "PLANBOT_DATA_DIR" ? _data.Combine("d") : null);

        (await CliApp.RunAsync(["projects", "--repo", _scenario.Repo.Root, "--policy", policy], stdout, new StringWriter(), settings)).ShouldBe(0);

        var lines = stdout.ToString().Split('\n').Select(l => Regex.Replace(l.Trim(), " +", " ")).ToArray();
        lines.ShouldContain($"policy (server policy {policy}, tightened by planbot.yaml):");
        lines.ShouldContain("approval.approvers.min_permission maintain [server policy]");
        lines.ShouldContain("approval.foundational_paths [network] [base branch (planbot.yaml)]");
        lines.ShouldContain("approval.destructive true [default]");
        lines.ShouldContain("pull_requests.plan_forks false [server policy]");

        stdout = new StringWriter();
        (await CliApp.RunAsync(["projects", "--repo", _scenario.Repo.Root], stdout, new StringWriter(), settings)).ShouldBe(0);
        stdout.ToString().Split('\n').Select(l => Regex.Replace(l.Trim(), " +", " ")).ShouldContain("approval.approvers.min_permission write [base branch (planbot.yaml)]");
    }

    [Fact]
    public async Task Through_serve_the_server_policy_the_base_branch_at_run_start_the_recorded_plan_time_and_a_policy_only_pr_hold()
    {
        var policy = _data.Combine("policy.yaml");
        await File.WriteAllTextAsync(policy, "approval: { approvers: { min_permission: maintain } }\n");
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\napproval: { approvers: { min_permission: write } }\n");
        await _scenario.Repo.CommitAsync("network is not foundational yet");
        await _scenario.Repo.GitAsync("checkout", "-q", "-B", "pr-60", "main");
        _scenario.Repo.Write("network/main.tf", LocalBackend + Resource("vpc", "10.60.0.0/16"));
        var head = await _scenario.Repo.CommitAsync("change the network");
        var cloneUrl = new Uri(_scenario.Repo.Root).AbsoluteUri;
        var baseSha = (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim();
        AddPull(60, head, baseSha, ["network/main.tf"]);
        var opened = PullPayload(60, "opened");

        // the default branch tightens after the event: network becomes foundational, and the run (which
        // starts later) is judged by the branch as it is then, not by the base the event names
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\napproval: { foundational_paths: [network], approvers: { min_permission: write } }\n");
        await _scenario.Repo.CommitAsync("tighten on main");

        await using var service = await StartAsync(policy);
        (await DeliverAsync(service.Http, "pull_request", opened)).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 1, "the plan", service);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for network: comment /planbot approve"), service.Errors.ToString());

        // the repository's `min_permission: write` does not loosen the server's maintain
        (await DeliverAsync(service.Http, "issue_comment", CommentPayload(60, "/planbot approve", "bob"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.CommentsOn(60).Any(c => c.Body.StartsWith("@bob your approval does not count", StringComparison.Ordinal)), "bob's refusal", service);
        _github.CommentsOn(60).Last().Body.ShouldContain("approvals need at least maintain");

        // an approval posted before the plan was shown is void; rewriting the comment's recorded time does not revive it
        var shown = _github.CommentsOn(60).First().Updated;
        (await DeliverAsync(service.Http, "issue_comment", CommentPayload(60, "/planbot approve", "carol", shown.AddSeconds(-30)))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 2, "the re-plan after carol's early approval", service);
        _github.Statuses.Last().State.ShouldBe("pending");
        _github.CommentsOn(60).First().Body.ShouldContain("before the plan of");
        ForgePostedAt(60, shown.AddMinutes(-5).ToUnixTimeSeconds());
        (await DeliverAsync(service.Http, "pull_request", PullPayload(60, "synchronize"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 3, "the re-plan after the forgery", service);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for network: comment /planbot approve"), service.Errors.ToString());

        (await DeliverAsync(service.Http, "issue_comment", CommentPayload(60, "/planbot approve", "carol"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 4, "carol's approval", service);
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "approved: network by @carol"), service.Errors.ToString());

        // a policy-only PR: its change is the item to approve, never by its author, and a push voids the approval
        await _scenario.Repo.GitAsync("checkout", "-q", "-B", "pr-61", "main");
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\npull_requests: { plan_drafts: true }\n");
        var policyHead = await _scenario.Repo.CommitAsync("plan drafts");
        AddPull(61, policyHead, (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim(), ["planbot.yaml"]);
        (await DeliverAsync(service.Http, "pull_request", PullPayload(61, "opened"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 5, "the policy PR's plan", service);
        _github.Statuses.Last().ShouldBe((policyHead, "pending", "planbot/apply-gate", PlanBot.Core.Workflows.PullRequestWorkflow.PolicyOnlyGate), service.Errors.ToString());
        _github.CommentsOn(61).First().Body.ShouldContain("**policy change** (`planbot.yaml`) needs approval");

        (await DeliverAsync(service.Http, "issue_comment", CommentPayload(61, "/planbot approve", "alice"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.CommentsOn(61).Any(c => c.Body.StartsWith("@alice your approval does not count", StringComparison.Ordinal)), "the author's refusal", service);
        (await DeliverAsync(service.Http, "issue_comment", CommentPayload(61, "/planbot approve", "carol"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 6, "the policy approval", service);
        _github.Statuses.Last().ShouldBe((policyHead, "success", "planbot/apply-gate", "policy change approved by @carol; no changes"), service.Errors.ToString());
        var locksDb = _data.Combine("service", "state", "locks.db");
        (await new PlanBot.Local.Locks.SqliteLockStore(locksDb, TimeProvider.System).ListAsync("acme/infra", CancellationToken.None))
            .Single(l => l.Key.Dir == "planbot.yaml").Approvals!.ShouldContain("\"user\":\"carol\"");

        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\npull_requests: { plan_drafts: true, plan_forks: true }\n");
        var pushed = await _scenario.Repo.CommitAsync("and forks");
        _github.Pulls[61]["head"]!["sha"] = pushed;
        (await DeliverAsync(service.Http, "pull_request", PullPayload(61, "synchronize"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count == 7, "the push", service);
        _github.Statuses.Last().ShouldBe((pushed, "pending", "planbot/apply-gate", PlanBot.Core.Workflows.PullRequestWorkflow.PolicyOnlyGate), service.Errors.ToString());
        _github.CommentsOn(61).First().Body.ShouldContain("are void: the pull request was pushed since");
        (await service.StopAsync()).ShouldBe(0, service.Errors.ToString());
    }

    [Fact]
    public async Task A_repository_not_in_allowed_repositories_is_refused_before_anything_is_cloned_called_or_written()
    {
        var policy = _data.Combine("policy.yaml");
        await File.WriteAllTextAsync(policy, "allowed_repositories: [\"platform/*\", acme/network]\n");
        await _scenario.Repo.GitAsync("checkout", "-q", "-B", "pr-70", "main");
        _scenario.Repo.Write("network/main.tf", LocalBackend + Resource("vpc", "10.70.0.0/16"));
        AddPull(70, await _scenario.Repo.CommitAsync("change the network"), (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim(), ["network/main.tf"]);

        await using var service = await StartAsync(policy);
        // refused at the intake: 403 with the reason (GitHub's Recent Deliveries shows it), never queued
        var refusal = $"repository 'acme/infra' is not in allowed_repositories of the server policy {policy} (platform/*, acme/network)";
        (string Event, string Payload)[] deliveries = [("pull_request", PullPayload(70, "opened")), ("issue_comment", CommentPayload(70, "/planbot plan", "carol"))];
        foreach (var (eventName, payload) in deliveries)
        {
            var answer = await InProcessService.SendAsync(service.Http, eventName, payload);
            answer.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            var said = await answer.Content.ReadAsStringAsync();
            said.ShouldContain(JsonSerializer.Serialize("repository 'acme/infra' is not served by this PlanBot (allowed_repositories of its server policy)")[1..^1]);
            said.ShouldNotContain("policy.yaml", Case.Sensitive, "the sender of a webhook learns neither the policy file nor the list");
            said.ShouldNotContain("platform/*");
        }

        using (var queue = new PlanBot.Server.DeliveryQueue(_data.Combine("service", "state", "queue.db")))
        {
            queue.List(null, 100).ShouldBeEmpty("nothing queued");
        }

        (await service.StopAsync()).ShouldBe(0, service.Errors.ToString());

        _github.Calls.ShouldBeEmpty("no API call: not the PR, not a permission, not a comment");
        _github.Statuses.ShouldBeEmpty();
        _github.CommentsOn(70).Select(c => c.User).ShouldBe(["carol"], "only carol's own comment");
        Directory.Exists(_data.Combine("service", "workspaces", "acme~infra")).ShouldBeFalse("nothing was cloned");
        service.Errors.ToString().ShouldNotContain("retry");

        // the Action refuses the same way, before reading anything: exit 2 with the same message
        var eventPath = _data.Combine("event.json");
        await File.WriteAllTextAsync(eventPath, PullPayload(70, "opened"));
        var settings = PlanBotSettings.From(name => name switch
        {
            "GITHUB_EVENT_NAME" => "pull_request", "GITHUB_EVENT_PATH" => eventPath, "GITHUB_REPOSITORY" => "acme/infra", "GITHUB_TOKEN" => FakeGitHub.Token,
            "GITHUB_API_URL" => _github.Url.ToString(), "GITHUB_WORKSPACE" => _scenario.Repo.Root, "PLANBOT_DATA_DIR" => _data.Combine("action"), "PLANBOT_POLICY_FILE" => policy, _ => null,
        });
        var stderr = new StringWriter();
        (await CliApp.RunAsync(["run"], new StringWriter(), stderr, settings)).ShouldBe(2);
        stderr.ToString().ShouldContain(refusal);
        _github.Calls.ShouldBeEmpty();
        _github.Statuses.ShouldBeEmpty();
    }

    [Fact]
    public async Task Projects_shows_the_allowed_repositories_of_the_server_policy()
    {
        var policy = _data.Combine("policy.yaml");
        await File.WriteAllTextAsync(policy, "allowed_repositories: [acme/infra, \"platform/*\"]\n");
        var settings = PlanBotSettings.From(name => name == "PLANBOT_DATA_DIR" ? _data.Combine("d") : null);
        var stdout = new StringWriter();
        (await CliApp.RunAsync(["projects", "--repo", _scenario.Repo.Root, "--policy", policy], stdout, new StringWriter(), settings)).ShouldBe(0);
        stdout.ToString().Split('\n').Select(l => Regex.Replace(l.Trim(), " +", " ")).ShouldContain("allowed_repositories [acme/infra, platform/*] [server policy]");

        stdout = new StringWriter();
        (await CliApp.RunAsync(["projects", "--repo", _scenario.Repo.Root], stdout, new StringWriter(), settings)).ShouldBe(0);
        stdout.ToString().Split('\n').Select(l => Regex.Replace(l.Trim(), " +", " ")).ShouldContain("allowed_repositories (every repository) [default]");
    }

    /// <summary>Someone with write access rewrites the plan time in PlanBot's comment metadata.</summary>
    private void ForgePostedAt(int pr, long postedAt)
    {
        var index = _github.Comments.FindIndex(c => c.Issue == pr && c.Body.StartsWith("<!-- planbot:plan -->", StringComparison.Ordinal));
        var body = _github.Comments[index].Body;
        var meta = PlanCommentMeta.Read(body).ShouldNotBeNull();
        var forged = Regex.Replace(meta, "\"posted_at\":\\d+", $"\"posted_at\":{postedAt}");
        forged.ShouldNotBe(meta, "the metadata holds the plan's time");
        _github.Comments[index] = _github.Comments[index] with { Body = PlanCommentMeta.With(body, forged) };
    }

    private void AddPull(int pr, string head, string baseSha, string[] files)
    {
        _github.AddPull(pr, head, baseSha);
        _github.Pulls[pr]["base"]!["repo"]!["clone_url"] = new Uri(_scenario.Repo.Root).AbsoluteUri;
        _github.PullFiles[pr] = [.. files];
    }

    private string PullPayload(int pr, string action) =>
        new JsonObject { ["action"] = action, ["number"] = pr, ["pull_request"] = JsonNode.Parse(_github.Pulls[pr].ToJsonString()), ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" } }.ToJsonString();

    private string CommentPayload(int pr, string body, string user, DateTimeOffset? created = null)
    {
        var comment = _github.AddComment(pr, body, user, created);
        return new JsonObject
        {
            ["action"] = "created",
            ["issue"] = new JsonObject { ["number"] = pr, ["pull_request"] = new JsonObject { ["url"] = "x" } },
            ["comment"] = new JsonObject { ["id"] = comment.Id, ["body"] = comment.Body, ["user"] = new JsonObject { ["login"] = user, ["type"] = "User" }, ["created_at"] = comment.Created, ["updated_at"] = comment.Updated },
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra" },
        }.ToJsonString();
    }

    private static Task<HttpStatusCode> DeliverAsync(HttpClient http, string eventName, string payload) => InProcessService.DeliverAsync(http, eventName, payload);

    private static Task WaitForAsync(Func<bool> done, string what, InProcessService service) => InProcessService.WaitForAsync(done, what, service);

    private Task<InProcessService> StartAsync(string policy) => InProcessService.StartAsync(_environment, _github, _data.Combine("service"), "--policy", policy);
}
