using PlanBot.Core.Plans;
using PlanBot.Core.Rendering;
using PlanBot.Core.Runs;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Rendering;

/// <summary>The apply comments as golden files (tests/fixtures/golden/comments): read them as the format's documentation.</summary>
public sealed class ApplyCommentGoldenTests
{
    private const string Sha = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c";

    [Fact]
    public void The_apply_result_says_per_project_which_plan_was_applied_and_what_the_dependents_did()
    {
        var results = new[]
        {
            new ApplyResult("envs/prod/network", ApplyStatus.Applied, null, new ActionCounts { Update = 1 }) { Source = ApplySource.StoredPlan },
            new ApplyResult("envs/prod/dns", ApplyStatus.Applied, "its inputs differ between the planned head `0a1b2c3` and the merge commit", new ActionCounts { Create = 2 }) { Source = ApplySource.Replan },
            new ApplyResult("envs/prod/cache", ApplyStatus.NoChanges) { Source = ApplySource.Replan },
            new ApplyResult("envs/prod/app", ApplyStatus.Applied, null, new ActionCounts { Update = 3 }) { Source = ApplySource.Replan, After = "envs/prod/network" },
            new ApplyResult("envs/prod/db", ApplyStatus.Planned, "needs approval (destructive)", new ActionCounts { Replace = 1 }) { After = "envs/prod/network" },
            new ApplyResult("envs/prod/queue", ApplyStatus.Planned, "planned (`apply.dependents: plan`)", new ActionCounts { Update = 1 }) { After = "envs/prod/network" },
        };

        Golden.ShouldMatch(ApplyMarkdown.Merge(Sha, 42, results, []), "tests", "fixtures", "golden", "comments", "apply-result.md");
    }

    [Fact]
    public void A_held_back_project_names_the_resources_and_attributes_that_differ_and_its_dependents_are_skipped()
    {
        var results = new[]
        {
            new ApplyResult("envs/prod/db", ApplyStatus.HeldBack, "the plan of the merged commit differs from the one approved (approved `a6e422c02ae7`, now `ab33b3894be1`)")
            {
                Differences = ["aws_db_instance.main: instance_class", "aws_db_parameter_group.main: new (create), not in the approved plan", "terraform_data.`marker`: actions"],
            },
            new ApplyResult("envs/prod/app", ApplyStatus.Skipped, "depends on envs/prod/db, which was not applied"),
            new ApplyResult("envs/prod/network", ApplyStatus.Failed, "terraform apply Failed: Error: creating VPC: UnauthorizedOperation") { Source = ApplySource.StoredPlan },
        };

        Golden.ShouldMatch(ApplyMarkdown.Merge(Sha, 42, results, ["approvals given on `0a1b2c3` are void: the pull request was pushed since; approve the new plan with `/planbot approve`"]),
            "tests", "fixtures", "golden", "comments", "held-back.md");
    }
}
