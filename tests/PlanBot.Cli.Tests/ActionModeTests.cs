using PlanBot.Core.Comments;
using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Core.Workflows;
using PlanBot.Cli.Tests.Harness;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// `planbot run` as GitHub Actions runs it: an event file, a fresh data dir every run (a runner keeps
/// nothing), real git and terraform, and the stateful fake GitHub asserting what was called.
/// </summary>
public class ActionModeTests() : ActionRunTests("planbot-action")
{

    protected override Dictionary<string, string> Files => new()
    {
        ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
        ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v1", triggersReplace: "1"),
        ["planbot.yaml"] = "locks: { backend: local }\ncomments: { max_chars: 3000, max_parts: 20 }\n",
    };

    protected override string? PushFrom => null; // pushes to one PR pile up on its branch

    protected override async Task ArrangeAsync()
    {
        await _scenario.ApplyAsync("network");
        await _scenario.ApplyAsync("app");
    }

    /// <summary>
    /// The default branch in the checkout is older than the event's base (a stale fetch): the policy is
    /// read at the event's base, and the plan comment says so (not only the log), naming the commit and why.
    /// </summary>
    [Fact]
    public async Task A_policy_read_at_the_events_base_instead_of_the_default_branchs_head_is_said_in_the_plan_comment()
    {
        await _scenario.Repo.GitAsync("checkout", "-q", "-b", "upstream", "main");
        _scenario.Repo.Write("README.md", "on the remote's main, not fetched here\n");
        var upstream = await _scenario.Repo.CommitAsync("main on GitHub");
        await PushAsync(42, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.9.0.0/16") + Output("cidr", "terraform_data.vpc.output") });
        var main = (await _scenario.Repo.GitAsync("rev-parse", "main")).Trim();
        ((JsonObject)_github.Pulls[42]["base"]!)["sha"] = upstream;

        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(42, "opened"));
        code.ShouldBe(0, errors);
        var comment = _github.CommentsOn(42)[0].Body;
        comment.ShouldContain($"> ⚠️ the policy of this plan (`planbot.yaml`'s policy keys) was read at the event's base `{upstream[..7]}`, not at the default branch's head as it is now " +
            $"(main in the checkout ({main[..7]}) is older than the event's base (a stale fetch))", customMessage: comment);
        comment.ShouldContain("fetch the default branch (actions/checkout with `fetch-depth: 0`)");

        // with the default branch's head in the checkout, nothing is said
        await _scenario.Repo.GitAsync("update-ref", "refs/heads/main", upstream);
        (await RunAsync("pull_request", PullRequestEvent(42))).Code.ShouldBe(0);
        _github.CommentsOn(42)[0].Body.ShouldNotContain("was read at the event's base");
    }

    [Fact]
    public async Task Pushes_edit_one_plan_comment_in_place_parts_grow_and_shrink_and_the_gate_follows_the_plan()
    {
        // 1. a small change: one part, success (nothing destructive)
        var head = await PushAsync(5, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.1.0.0/16") + Output("cidr", "terraform_data.vpc.output") });
        _github.Calls.Clear();
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(5, "opened"));
        code.ShouldBe(0, errors);
        var comments = _github.CommentsOn(5);
        comments.Count.ShouldBe(1);
        comments[0].Body.ShouldStartWith("<!-- planbot:plan -->\n### PlanBot plan for `" + head[..7] + "`");
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "planned; no approval needed"));
        // the API calls one PR plan costs: files, comments, the comment, the status, one check run per project
        _github.Calls.ShouldBe([
            "GET /repos/acme/infra/pulls/5/files?per_page=100",
            "GET /repos/acme/infra/issues/5/comments?per_page=100",
            "POST /repos/acme/infra/issues/5/comments",
            "GET /repos/acme/infra/issues/5/comments?per_page=100", // GitHub's time of the new plan, recorded for approvals
            $"PATCH /repos/acme/infra/issues/comments/{_github.CommentsOn(5)[0].Id}",
            $"POST /repos/acme/infra/statuses/{head}",
            "POST /repos/acme/infra/check-runs",
        ]);
        ((string)_github.CheckRuns.Single()["name"]!).ShouldBe("planbot: network");
        (await File.ReadAllTextAsync(_dir.Combine("output"))).ShouldContain("has-changes=true\nneeds-approval=false\nreport-path=");
        (await File.ReadAllTextAsync(_dir.Combine("summary.md"))).ShouldContain("### PlanBot plan for");

        // 2. a bigger change (a replace, many resources): more parts, edited in place, gate pending on approval
        var big = string.Concat(Enumerable.Range(0, 30).Select(i => Resource($"extra{i}", $"value-{i}")));
        head = await PushAsync(5, new() { ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v2", triggersReplace: "2") + big });
        _github.FailNext(1, 502); // survived: retried with backoff
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(5));
        code.ShouldBe(0, errors);
        comments = _github.CommentsOn(5);
        comments.Count.ShouldBeGreaterThan(1);
        comments.Select(c => PlanCommentWriter.PartOf(c.Body)).ShouldBe(Enumerable.Range(1, comments.Count).Select(i => (int?)i));
        comments[0].Body.ShouldContain("will be **replaced**");
        _github.Statuses.Last().State.ShouldBe("pending");
        _github.Statuses.Last().Description.ShouldContain("approval needed for app");

        // 3. back to a small change: leftover parts are deleted, part 1 is the same comment as before
        var firstId = comments[0].Id;
        head = await PushAsync(5, new() { ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v3", triggersReplace: "1") });
        _github.FailNext(1, 403, retryAfter: 1); // a secondary rate limit: waited out, then retried
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(5));
        code.ShouldBe(0, errors);
        comments = _github.CommentsOn(5);
        comments.Count.ShouldBe(1);
        comments[0].Id.ShouldBe(firstId);
        comments[0].Body.ShouldContain(head[..7]);
    }

    [Fact]
    public async Task A_fork_is_not_planned_and_says_why_and_a_draft_is_skipped()
    {
        await PushAsync(6, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.9.0.0/16") });
        _github.Pulls[6]["head"]!["repo"]!["full_name"] = "mallory/infra";
        _github.Calls.Clear();
        var (code, _) = await RunAsync("pull_request", PullRequestEvent(6, "opened"));
        code.ShouldBe(0);
        _github.Calls.ShouldNotContain(c => c.Contains("/files", StringComparison.Ordinal), "a fork's file list is never asked (issue 19: it is asked early only for PRs that will be planned)");
        _github.CommentsOn(6).Single().Body.ShouldContain("It comes from a fork.");
        _github.Statuses.Last().State.ShouldBe("failure");
        _github.CheckRuns.ShouldBeEmpty();

        await PushAsync(7, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.8.0.0/16") });
        _github.Pulls[7]["draft"] = true;
        _github.Calls.Clear();
        (code, _) = await RunAsync("pull_request", PullRequestEvent(7, "opened"));
        code.ShouldBe(0);
        _github.Calls.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_destructive_plan_waits_for_an_approval_that_counts_and_a_push_or_an_edit_voids_it()
    {
        _github.Permissions["bob"] = ("write", "write");
        _github.Permissions["carol"] = ("write", "maintain");
        var head = await PushAsync(20, new() { ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v2", triggersReplace: "2") });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(20, "opened"));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for app: comment /planbot approve"));

        // the author may not approve their own change
        (code, errors) = await RunAsync("issue_comment", CommentEvent(20, "/planbot approve", "alice"));
        code.ShouldBe(0, errors);
        _github.CommentsOn(20).Last().Body.ShouldBe("@alice your approval does not count: you opened this pull request, and approving your own changes is off (approval.allow_self_approval).");

        // write access is not enough: approvals need maintain
        (code, _) = await RunAsync("issue_comment", CommentEvent(20, "/planbot approve", "bob"));
        code.ShouldBe(0);
        _github.CommentsOn(20).Last().Body.ShouldBe("@bob your approval does not count: your role on acme/infra is write; approvals need at least maintain.");
        _github.Statuses.Last().State.ShouldBe("pending");

        // a maintainer's approval turns the gate green and shows in the table
        var approval = CommentEvent(20, "/planbot approve -- the replace is intended", "carol");
        (code, errors) = await RunAsync("issue_comment", approval);
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "approved: app by @carol"));
        _github.CommentsOn(20).First().Body.ShouldContain("| ✅ approved by @carol · plan `");
        _github.Reactions.Where(r => r.CommentId == (long)approval["comment"]!["id"]!).Select(r => r.Content).ShouldBe(["eyes", "+1"]);

        // edited after it was posted: it no longer counts
        var id = (long)approval["comment"]!["id"]!;
        var index = _github.Comments.FindIndex(c => c.Id == id);
        _github.Comments[index] = _github.Comments[index] with { Body = "/planbot approve -p app", Updated = DateTimeOffset.UtcNow.AddMinutes(5) };
        (code, _) = await RunAsync("pull_request", PullRequestEvent(20));
        code.ShouldBe(0);
        _github.Statuses.Last().State.ShouldBe("pending");
        _github.CommentsOn(20).First().Body.ShouldContain("@carol's approval was edited after it was posted, so it does not count");

        // approved again, then a push: the approval of the old head is void
        (code, _) = await RunAsync("issue_comment", CommentEvent(20, "/planbot approve", "carol"));
        _github.Statuses.Last().State.ShouldBe("success");
        var newHead = await PushAsync(20, new() { ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v3", triggersReplace: "3") });
        (code, _) = await RunAsync("pull_request", PullRequestEvent(20));
        _github.Statuses.Last().ShouldBe((newHead, "pending", "planbot/apply-gate", "approval needed for app: comment /planbot approve"));
        _github.CommentsOn(20).First().Body.ShouldContain($"approvals given on `{head[..7]}` are void");

        // withdrawn by its author
        (code, _) = await RunAsync("issue_comment", CommentEvent(20, "/planbot approve", "carol"));
        _github.Statuses.Last().State.ShouldBe("success");
        (code, _) = await RunAsync("issue_comment", CommentEvent(20, "/planbot unapprove", "carol"));
        _github.Statuses.Last().State.ShouldBe("pending");
    }

    [Fact]
    public async Task An_approved_merge_is_applied_a_plan_changed_since_approval_is_held_back_and_a_failed_apply_skips_its_dependents()
    {
        _github.Permissions["carol"] = ("write", "maintain");

        // approved replace → merged → applied from the re-plan of the merged commit
        await PushAsync(30, new() { ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v2", triggersReplace: "2") });
        (await RunAsync("pull_request", PullRequestEvent(30, "opened"))).Code.ShouldBe(0);
        (await RunAsync("issue_comment", CommentEvent(30, "/planbot approve", "carol"))).Code.ShouldBe(0);
        var merge = await MergeAsync(30);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        var result = _github.CommentsOn(30).Last().Body;
        result.ShouldStartWith($"<!-- planbot:apply -->\n### PlanBot apply of `{merge[..7]}` (the merge of #30)");
        result.ShouldContain("| `app` | ✅ applied from a re-plan (no stored plan for the planned head");
        result.ShouldContain("0 added, 0 changed, 0 destroyed, 1 replaced |");
        State("app").ShouldContain("\"v2\"");

        // the apply job re-run (GitHub's "Re-run jobs"): the merge's result is on the PR, nothing is applied twice
        var applies = _github.CommentsOn(30).Count(c => c.Body.StartsWith("<!-- planbot:apply -->", StringComparison.Ordinal));
        (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        errors.ShouldContain("was applied by an earlier run");
        _github.CommentsOn(30).Count(c => c.Body.StartsWith("<!-- planbot:apply -->", StringComparison.Ordinal)).ShouldBe(applies, _github.CommentsOn(30).Last().Body);

        // approved, but main moved on before the merge: the merged plan is not the approved one
        await PushAsync(31, new() { ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v3", triggersReplace: "3") });
        (await RunAsync("pull_request", PullRequestEvent(31, "opened"))).Code.ShouldBe(0);
        (await RunAsync("issue_comment", CommentEvent(31, "/planbot approve", "carol"))).Code.ShouldBe(0);
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("app/extra.tf", Resource("extra", "surprise"));
        await _scenario.Repo.CommitAsync("a direct push to main");
        merge = await MergeAsync(31);
        (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        _github.CommentsOn(31).Last().Body.ShouldContain("| `app` | ⏸️ held back: the plan of the merged commit differs from the one approved");
        State("app").ShouldContain("\"v2\"", customMessage: "nothing was applied");

        // a new approval on the merged PR approves the merged plan, and applies it (the merge is still main's head)
        _github.Pulls[31]["merge_commit_sha"] = merge;
        Set("GITHUB_SHA", merge);
        (code, errors) = await RunAsync("issue_comment", CommentEvent(31, "/planbot approve", "carol"));
        code.ShouldBe(0, errors);
        Set("GITHUB_SHA", null);
        _github.CommentsOn(31).Last().Body.ShouldContain("| `app` | ✅ applied from a re-plan (no stored plan for the planned head");
        _github.CommentsOn(31).Last().Body.ShouldContain("1 added, 0 changed, 0 destroyed, 1 replaced |");
        State("app").ShouldContain("\"v3\"");
        State("app").ShouldContain("\"surprise\"");

        // no approval needed (creates and updates), network's apply fails: app, which reads its state, is skipped
        var failing = "resource \"terraform_data\" \"broken\" {\n  input = \"x\"\n  provisioner \"local-exec\" {\n    command = \"exit 7\"\n  }\n}\n";
        await PushAsync(32, new()
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") + Output("cidr", "terraform_data.vpc.output") + failing,
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v3", triggersReplace: "3") + Resource("extra", "surprise") + Resource("more", "m"),
        });
        _scenario.Repo.Delete("app/extra.tf");
        await _scenario.Repo.CommitAsync("keep extra in main.tf");
        _github.PullFiles[32] = ["network/main.tf", "app/main.tf", "app/extra.tf"];
        _github.Pulls[32]["head"]!["sha"] = (await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim();
        (await RunAsync("pull_request", PullRequestEvent(32, "opened"))).Code.ShouldBe(0);
        _github.Statuses.Last().State.ShouldBe("success");
        merge = await MergeAsync(32);
        (code, _) = await RunAsync("push", Push(merge));
        code.ShouldBe(1);
        result = _github.CommentsOn(32).Last().Body;
        result.ShouldContain("| `network` | ❌ failed:");
        result.ShouldContain("| `app` | ⏭️ skipped: depends on network");
    }

    /// <summary>A write user rewriting PlanBot's hidden metadata (base64 JSON at the end of its plan comment).</summary>
    private void EditPlanMeta(int pr, Func<JsonObject, JsonObject?> edit)
    {
        var index = _github.Comments.FindIndex(c => c.Issue == pr && c.Body.StartsWith("<!-- planbot:plan -->", StringComparison.Ordinal));
        var body = _github.Comments[index].Body;
        var meta = JsonNode.Parse(PlanCommentMeta.Read(body)!)!.AsObject();
        var edited = edit(meta);
        _github.Comments[index] = _github.Comments[index] with
        {
            Body = edited is null ? body.Split("<!-- planbot:meta")[0] : PlanCommentMeta.With(body, edited.ToJsonString()),
            Updated = DateTimeOffset.UtcNow,
        };
    }

    [Fact]
    public async Task On_a_dynamodb_backend_approvals_live_in_the_lock_records_across_empty_disks_and_edits_of_the_bots_comment_change_nothing()
    {
        Set("AWS_ACCESS_KEY_ID", "S3RVER");
        Set("AWS_SECRET_ACCESS_KEY", "S3RVER");
        var table = "action-" + Guid.NewGuid().ToString("N")[..12];
        using var client = new Amazon.DynamoDBv2.AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), new Amazon.DynamoDBv2.AmazonDynamoDBConfig { ServiceURL = TestServers.DynamoDb, AuthenticationRegion = "us-east-1" });
        var store = new PlanBot.Aws.Locks.DynamoDbLockStore(client, table, TimeProvider.System);
        await store.EnsureTableAsync(CancellationToken.None);
        _github.Permissions["carol"] = ("write", "maintain");

        // policy keys (locks) come from the default branch, never the PR's head
        await OnMainAsync("planbot.yaml", $"locks:\n  backend: dynamodb\n  dynamodb: {{ table: {table}, region: us-east-1, endpoint: \"{TestServers.DynamoDb}\" }}\n");
        var head = await PushAsync(60, new()
        {
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v6", triggersReplace: "6"),
        });
        (await RunAsync("pull_request", PullRequestEvent(60, "opened"))).Code.ShouldBe(0);
        (await RunAsync("issue_comment", CommentEvent(60, "/planbot approve", "carol"))).Code.ShouldBe(0);
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "approved: app by @carol"));
        var record = (await store.ListAsync("acme/infra", CancellationToken.None)).Single(l => l.Key.Kind == PlanBot.Core.Ports.LockKind.Project);
        record.Owner.PullRequest.ShouldBe(60);
        record.Approvals!.ShouldContain("\"user\":\"carol\"");

        // wiping PlanBot's metadata does not withdraw the approval: the lock record is the record
        EditPlanMeta(60, _ => null);
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(60));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "success", "planbot/apply-gate", "approved: app by @carol"));

        // and writing an approval into it approves nothing: carol withdraws, bob's forged entry does not count
        _github.Permissions["bob"] = ("write", "write");
        (await RunAsync("issue_comment", CommentEvent(60, "/planbot unapprove", "carol"))).Code.ShouldBe(0);
        _github.Statuses.Last().State.ShouldBe("pending");
        var carols = _github.Comments.Last(c => c.Issue == 60 && c.User == "carol" && c.Body == "/planbot approve");
        EditPlanMeta(60, meta =>
        {
            meta["approvals"] = new JsonArray(new JsonObject { ["comment"] = carols.Id, ["user"] = "carol", ["head"] = head, ["fingerprints"] = meta["plan"]!["fingerprints"]!.DeepClone() });
            return meta;
        });
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(60));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for app: comment /planbot approve"));
        (await RunAsync("issue_comment", CommentEvent(60, "/planbot approve", "carol"))).Code.ShouldBe(0);
        _github.Statuses.Last().State.ShouldBe("success");

        // a push voids the approval recorded in the lock record, and the comment says so
        var newHead = await PushAsync(60, new() { ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v6b", triggersReplace: "6b") });
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(60));
        code.ShouldBe(0, errors);
        _github.Statuses.Last().ShouldBe((newHead, "pending", "planbot/apply-gate", "approval needed for app: comment /planbot approve"));
        _github.CommentsOn(60).First().Body.ShouldContain($"approvals given on `{head[..7]}` are void");
        (await RunAsync("issue_comment", CommentEvent(60, "/planbot approve", "carol"))).Code.ShouldBe(0);
        _github.Statuses.Last().ShouldBe((newHead, "success", "planbot/apply-gate", "approved: app by @carol"));

        // the close arrives before the push: the locks (and approvals) stay for the apply, which then releases them
        var merge = await MergeAsync(60);
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(60, "closed"));
        code.ShouldBe(0, errors);
        (await store.ListAsync("acme/infra", CancellationToken.None)).ShouldContain(l => l.Key.Kind == PlanBot.Core.Ports.LockKind.Project && l.Owner.PullRequest == 60);
        (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        _github.CommentsOn(60).Last().Body.ShouldContain("| `app` | ✅ applied from a re-plan (no stored plan for the planned head");
        _github.CommentsOn(60).Last().Body.ShouldContain("0 added, 0 changed, 0 destroyed, 1 replaced |");
        State("app").ShouldContain("\"v6b\"");
        (await store.ListAsync("acme/infra", CancellationToken.None)).Where(l => l.Key.Kind == PlanBot.Core.Ports.LockKind.Project).ShouldBeEmpty();
    }

    [Fact]
    public async Task On_the_github_backend_editing_the_bots_comment_to_drop_the_approval_requirement_does_not_get_a_replace_applied()
    {
        var head = await PushAsync(61, new()
        {
            ["planbot.yaml"] = "comments: { max_chars: 3000, max_parts: 20 }\n", // no locks section: the Action's github backend
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v8", triggersReplace: "8"),
        });
        (await RunAsync("pull_request", PullRequestEvent(61, "opened"))).Code.ShouldBe(0);
        _github.Statuses.Last().ShouldBe((head, "pending", "planbot/apply-gate", "approval needed for app: comment /planbot approve"));

        EditPlanMeta(61, meta =>
        {
            meta["plan"]!["required"] = new JsonArray();
            return meta;
        });
        var merge = await MergeAsync(61);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        _github.CommentsOn(61).Last().Body.ShouldContain("| `app` | ⏸️ held back: its plan was not approved |");
        State("app").ShouldContain("\"v1\"", customMessage: "nothing was applied");
    }

    [Fact]
    public async Task With_apply_mode_comment_planbot_apply_applies_a_green_up_to_date_pr_and_refuses_otherwise()
    {
        _github.Permissions["carol"] = ("write", "maintain");
        await OnMainAsync("planbot.yaml", "locks: { backend: local }\napply: { mode: comment }\napproval: { foundational_paths: [\"network\"] }\n");
        await PushAsync(40, new()
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.5.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v7", triggersReplace: "7"),
        });
        (await RunAsync("pull_request", PullRequestEvent(40, "opened"))).Code.ShouldBe(0);

        (await RunAsync("issue_comment", CommentEvent(40, "/planbot apply", "carol"))).Code.ShouldBe(0);
        // network only updates, but its dir is foundational: it needs an approval too
        _github.CommentsOn(40).Last().Body.ShouldBe("@carol not applied: the gate is not green for `network`, `app`. Approve with `/planbot approve` first.");
        State("network").ShouldContain("10.0.0.0/16");

        (await RunAsync("issue_comment", CommentEvent(40, "/planbot approve", "carol"))).Code.ShouldBe(0);
        var (code, errors) = await RunAsync("issue_comment", CommentEvent(40, "/planbot apply", "carol"));
        code.ShouldBe(0, errors);
        var result = _github.CommentsOn(40).Last().Body;
        result.ShouldContain("(#40, before the merge, asked by @carol)");
        result.ShouldContain("| `network` | ✅ applied: 0 added, 1 changed, 0 destroyed, 0 replaced |");
        result.ShouldContain("| `app` | ✅ applied: 0 added, 0 changed, 0 destroyed, 1 replaced |");
        State("network").ShouldContain("10.5.0.0/16");
        State("app").ShouldContain("\"v7\"");

        // main moves on: the PR is behind its base and is not applied
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("README.md", "moved on\n");
        await _scenario.Repo.CommitAsync("main moves on");
        await _scenario.Repo.GitAsync("checkout", "-q", "pr-40");
        (await RunAsync("issue_comment", CommentEvent(40, "/planbot apply", "carol"))).Code.ShouldBe(0);
        _github.CommentsOn(40).Last().Body.ShouldStartWith("@carol this pull request is behind `main`");

        // a tag named like the branch's remote ref (`origin/main`, which git resolves before a remote branch) at the commit
        // the PR branched from: the base is still read by its full ref name, and the stale PR is still refused
        var forkPoint = (await _scenario.Repo.GitAsync("merge-base", "main", "pr-40")).Trim();
        await _scenario.Repo.GitAsync("tag", "origin/main", forkPoint);
        (await RunAsync("issue_comment", CommentEvent(40, "/planbot apply", "carol"))).Code.ShouldBe(0);
        _github.CommentsOn(40).Last().Body.ShouldStartWith("@carol this pull request is behind `main`");
    }

    [Fact]
    public async Task Slash_commands_react_plan_the_named_project_and_answer_unknown_ones_with_usage()
    {
        _github.Permissions["carol"] = ("write", "write"); // /planbot plan needs write
        await PushAsync(8, new()
        {
            ["network/main.tf"] = LocalBackend + Resource("vpc", "10.2.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
            ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "v9", triggersReplace: "1"),
        });
        JsonObject CommentEvent(string body)
        {
            var comment = _github.AddComment(8, body, "carol");
            return new JsonObject
            {
                ["action"] = "created",
                ["issue"] = new JsonObject { ["number"] = 8, ["pull_request"] = new JsonObject { ["url"] = "x" } },
                ["comment"] = new JsonObject { ["id"] = comment.Id, ["body"] = body, ["user"] = new JsonObject { ["login"] = "carol", ["type"] = "User" }, ["created_at"] = "2026-12-01T09:00:00Z", ["updated_at"] = "2026-12-01T09:00:00Z" },
                ["repository"] = new JsonObject { ["full_name"] = "acme/infra" },
            };
        }

        var plan = CommentEvent("/planbot plan -p app");
        var (code, errors) = await RunAsync("issue_comment", plan);
        code.ShouldBe(0, errors);
        var id = (long)plan["comment"]!["id"]!;
        _github.Reactions.Where(r => r.CommentId == id).Select(r => r.Content).ShouldBe(["eyes", "+1"]);
        _github.CheckRuns.Select(c => (string)c["name"]!).ShouldBe(["planbot: app"]);

        var unknown = CommentEvent("/planbot frobnicate --now");
        (code, _) = await RunAsync("issue_comment", unknown);
        code.ShouldBe(0);
        _github.CommentsOn(8).Last().Body.ShouldStartWith("@carol unknown command `frobnicate`.");
        _github.CommentsOn(8).Last().Body.ShouldContain("`/planbot help`");
        _github.Reactions.Where(r => r.CommentId == (long)unknown["comment"]!["id"]!).Select(r => r.Content).ShouldBe(["eyes", "-1"]);

        var badProject = CommentEvent("/planbot plan -p nope");
        (code, _) = await RunAsync("issue_comment", badProject);
        code.ShouldBe(0);
        _github.CommentsOn(8).Last().Body.ShouldContain("'nope' is not a project here");
    }
}
