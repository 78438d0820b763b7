using PlanBot.Core.Runs;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>Apply safety: never two terraform runs on one project, and only plans that match.</summary>
public sealed class ApplyWorkflowTests : IDisposable
{
    private readonly TempDir _dir = new("planbot-apply");

    private RunReport Replan(string fingerprintSource)
    {
        var plan = PlanReader.ReadDetailed(System.Text.Encoding.UTF8.GetBytes(FakeTerraform.PlanWith((fingerprintSource, "create"))), "plan.json", []);
        var planFile = _dir.Combine("app", "plan.tfplan");
        Directory.CreateDirectory(Path.GetDirectoryName(planFile)!);
        File.WriteAllText(planFile, "plan");
        var result = new ProjectResult { Project = new Project { Name = "app", Dir = "app" }, Status = ProjectStatus.Planned, Plan = plan, PlanFile = planFile };
        return new RunReport { Head = "sha", Base = "sha", Levels = [["app"]], Projects = [result] };
    }

    [Fact]
    public async Task An_apply_waits_for_no_one_it_refuses_when_another_run_holds_the_project()
    {
        var locks = new InMemoryLockStore();
        var other = new LockOwner("acme/infra", 2, "s", "u", "run-other");
        await locks.AcquireAsync(new LockKey(LockKind.Run, "acme/infra", "app", "default"), other, TimeSpan.FromMinutes(1), CancellationToken.None);
        var replan = Replan("terraform_data.a");
        var terraform = new FakeTerraform();

        var results = await new ApplyWorkflow(terraform).RunAsync(replan, _dir.Path, new Dictionary<string, string?> { ["app"] = replan.Projects[0].Plan!.Fingerprint }, 1, CancellationToken.None,
            locks, new LockOwner("acme/infra", 1, "s", "me", "run-me"));

        results.Single().Status.ShouldBe(ApplyStatus.Failed);
        results.Single().Detail.ShouldBe("terraform is already running on this project (run run-other); nothing was applied");
        terraform.Applied.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_plan_that_does_not_match_the_approved_fingerprint_is_held_back_and_never_applied()
    {
        var replan = Replan("terraform_data.b");
        var terraform = new FakeTerraform();
        var results = await new ApplyWorkflow(terraform).RunAsync(replan, _dir.Path, new Dictionary<string, string?> { ["app"] = "sha256:something-else" }, 1, CancellationToken.None);
        results.Single().Status.ShouldBe(ApplyStatus.HeldBack);
        (await new ApplyWorkflow(terraform).RunAsync(replan, _dir.Path, new Dictionary<string, string?> { ["app"] = null }, 1, CancellationToken.None)).Single().Detail.ShouldBe("its plan was not approved");
        terraform.Applied.ShouldBeEmpty();
    }

    public void Dispose() => _dir.Dispose();
}
