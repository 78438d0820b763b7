using System.Net;
using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Core.Comments;
using PlanBot.Cli.Tests.Harness;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// Issue 14 item 4, as a PR author meets it: whatever stops a pull request's run (an invalid
/// planbot.yaml at the head or the base, terraform init failing, a crash, a delivery the service
/// gave up on) ends as PlanBot's own comment, edited in place, naming what is wrong (file:line) and
/// how to fix it, with no stack trace, and a failed <c>planbot/apply-gate</c> — under
/// <c>planbot run</c> (the Action) and <c>planbot serve</c> alike.
/// </summary>
public sealed class ErrorsReachThePullRequestTests() : ActionRunTests("planbot-errors")
{
    private const string BadHeadConfig = "version: 1\nlocks: { backend: local }\nprojects:\n  - dri: network\n";


    protected override Dictionary<string, string> Files => new()
    {
        ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16"),
        ["planbot.yaml"] = "locks: { backend: local }\n",
    };
    /// <summary>PlanBot's one plan comment on the PR (part 1): there is never a second.</summary>
    private FakeGitHub.FakeComment PlanComment(int pr) => _github.CommentsOn(pr).Where(c => PlanCommentWriter.PartOf(c.Body) is not null).ShouldHaveSingleItem();

    private static void NoStackTrace(string text)
    {
        text.ShouldNotContain("   at ");
        text.ShouldNotContain(".cs:line");
    }

    // ---- planbot run (the Action) ----

    [Fact]
    public async Task Action_an_invalid_planbot_yaml_at_the_head_replaces_the_plan_comment_with_the_file_line_and_fails_the_gate()
    {
        var good = await PushAsync(7, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.7.0.0/16") });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(7, "opened"));
        code.ShouldBe(0, errors);
        var planned = PlanComment(7);
        planned.Body.ShouldContain($"### PlanBot plan for `{good[..7]}`");

        var bad = await PushAsync(7, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.7.0.0/16"), ["planbot.yaml"] = BadHeadConfig });
        (code, errors) = await RunAsync("pull_request", PullRequestEvent(7));
        code.ShouldBe(2, errors);
        errors.ShouldContain("planbot.yaml:4");
        errors.ShouldNotContain("a bug in PlanBot");

        var told = PlanComment(7);
        told.Id.ShouldBe(planned.Id, "the same comment, edited in place");
        told.Body.ShouldStartWith(Core.Rendering.MarkdownComment.Marker);
        told.Body.ShouldContain($"### ❌ planbot.yaml is invalid (`{bad[..7]}`)");
        told.Body.ShouldContain("planbot.yaml:4:");
        told.Body.ShouldContain("dri");
        told.Body.ShouldContain("**How to fix it:**");
        NoStackTrace(told.Body);
        _github.Statuses.Last().ShouldBe((bad, "failure", "planbot/apply-gate", "not planned: planbot.yaml is invalid (see the PlanBot comment)"));
    }

    [Fact]
    public async Task Action_an_invalid_planbot_yaml_at_the_base_is_told_as_the_base_s_even_when_the_pr_fixes_it()
    {
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        _scenario.Repo.Write("planbot.yaml", "locks: { backend: local }\napproval:\n  required: many\n");
        await _scenario.Repo.CommitAsync("a broken policy on main");
        var head = await PushAsync(8, new() { ["planbot.yaml"] = "locks: { backend: local }\n", ["network/main.tf"] = LocalBackend + Resource("vpc", "10.8.0.0/16") });

        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(8, "opened"));
        code.ShouldBe(2, errors);
        var told = PlanComment(8).Body;
        told.ShouldContain("### ❌ planbot.yaml is invalid");
        told.ShouldContain("planbot.yaml (base ");
        told.ShouldContain(":3:");
        told.ShouldContain("is fixed there");
        NoStackTrace(told);
        _github.Statuses.Last().ShouldBe((head, "failure", "planbot/apply-gate", "not planned: planbot.yaml is invalid (see the PlanBot comment)"));
    }

    [Fact]
    public async Task Action_a_terraform_init_failure_is_in_the_comment_with_terraforms_file_line_and_fails_the_gate()
    {
        var head = await PushAsync(9, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.9.0.0/16") + "module \"m\" {\n  source = \"./missing\"\n}\n" });
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(9, "opened"));
        code.ShouldBe(1, errors);
        var told = PlanComment(9).Body;
        told.ShouldContain("Unreadable module directory");
        told.ShouldContain("main.tf:");
        NoStackTrace(told);
        _github.Statuses.Last().ShouldBe((head, "failure", "planbot/apply-gate", "not planned: network"));
    }

    [Fact]
    public async Task Action_a_crash_is_told_as_planbots_failure_with_no_stack_trace_and_fails_the_gate()
    {
        var head = await PushAsync(10, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.10.0.0/16") });
        var data = _dir.Combine("crashing-data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "runs"), "a file where PlanBot keeps plan files: creating the run's directory throws");

        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(10, "opened"), data);
        code.ShouldBe(1, errors);
        errors.ShouldContain("planbot: unexpected ", Case.Sensitive, errors);
        var told = PlanComment(10).Body;
        told.ShouldContain($"### ❌ PlanBot failed unexpectedly (`{head[..7]}`)");
        told.ShouldContain("Exception: ", Case.Sensitive, told);
        told.ShouldContain("`/planbot plan`");
        NoStackTrace(told);
        _github.Statuses.Last().ShouldBe((head, "failure", "planbot/apply-gate", "not planned: PlanBot failed (see the PlanBot comment)"));
    }

    // ---- planbot serve (the service) ----

    [Fact]
    public async Task Serve_an_invalid_planbot_yaml_at_the_head_is_told_on_the_pr_and_not_retried()
    {
        var head = await PushAsync(20, new() { ["planbot.yaml"] = BadHeadConfig, ["network/main.tf"] = LocalBackend + Resource("vpc", "10.20.0.0/16") });
        await using var service = await InProcessService.StartAsync(_environment, _github, _dir.Combine("serve-config"));
        (await service.DeliverAsync("pull_request", PullRequestEvent(20, "opened"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count > 0, "the gate", service);

        var told = PlanComment(20).Body;
        told.ShouldContain($"### ❌ planbot.yaml is invalid (`{head[..7]}`)");
        told.ShouldContain("planbot.yaml:4:");
        NoStackTrace(told);
        _github.Statuses.ShouldHaveSingleItem().ShouldBe((head, "failure", "planbot/apply-gate", "not planned: planbot.yaml is invalid (see the PlanBot comment)"));
        await WaitForAsync(() => service.Errors.ToString().Contains("not retried", StringComparison.Ordinal), "the log line", service);
        NoStackTrace(service.Errors.ToString());
        (await service.StopAsync()).ShouldBe(0, service.Errors.ToString());
        _github.Statuses.Count.ShouldBe(1, "done, not retried into a dead letter over the file:line message");
    }

    [Fact]
    public async Task Serve_a_terraform_init_failure_is_in_the_comment_and_fails_the_gate()
    {
        var head = await PushAsync(21, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.21.0.0/16") + "module \"m\" {\n  source = \"./missing\"\n}\n" });
        await using var service = await InProcessService.StartAsync(_environment, _github, _dir.Combine("serve-init"));
        (await service.DeliverAsync("pull_request", PullRequestEvent(21, "opened"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count > 0, "the gate", service);

        var told = PlanComment(21).Body;
        told.ShouldContain("Unreadable module directory");
        told.ShouldContain("main.tf:");
        NoStackTrace(told);
        _github.Statuses.Single().ShouldBe((head, "failure", "planbot/apply-gate", "not planned: network"));
        (await service.StopAsync()).ShouldBe(0, service.Errors.ToString());
    }

    [Fact]
    public async Task Serve_a_crash_is_told_then_the_parked_delivery_edits_the_same_comment_and_the_gate_stays_failed()
    {
        var head = await PushAsync(22, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.22.0.0/16") });
        var data = _dir.Combine("serve-crash");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "runs"), "a file where PlanBot keeps plan files: every run of the delivery throws");
        Set("PLANBOT_QUEUE_MAX_ATTEMPTS", "1"); // parked at the first failure
        await using var service = await InProcessService.StartAsync(_environment, _github, data);
        (await service.DeliverAsync("pull_request", PullRequestEvent(22, "opened"))).ShouldBe(HttpStatusCode.Accepted);
        await WaitForAsync(() => _github.Statuses.Count >= 2, "the crash notice and the dead letter", service);

        _github.Calls.Count(c => c == "POST /repos/acme/infra/issues/22/comments").ShouldBe(1, "one comment, written once and then edited in place");
        var told = PlanComment(22).Body;
        told.ShouldContain("### ❌ PlanBot gave up on a delivery (`pull_request`, attempt 1)");
        told.ShouldContain("Exception: ", Case.Sensitive, told);
        told.ShouldContain("planbot queue retry");
        NoStackTrace(told);
        _github.Statuses.ShouldAllBe(s => s.Sha == head && s.State == "failure" && s.Context == "planbot/apply-gate");
        _github.Statuses.Select(s => s.Description).ShouldBe([
            "not planned: PlanBot failed (see the PlanBot comment)",
            "not planned: PlanBot gave up on this delivery (see the PlanBot comment)",
        ]);
        (await service.StopAsync()).ShouldBe(0, service.Errors.ToString());
    }

    private static Task WaitForAsync(Func<bool> done, string what, InProcessService service) => InProcessService.WaitForAsync(done, what, service);
}
