using PlanBot.Core.Runs;
using Amazon.DynamoDBv2.Model;
using PlanBot.Aws.Locks;
using PlanBot.Core.Workflows;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Aws.Tests;

/// <summary>Real terraform on its s3 backend (s3rver for state, dynalite for its lock table).</summary>
public class TerraformS3BackendTests
{
    [Fact]
    public async Task A_state_lock_item_planted_in_the_table_makes_the_project_locked_naming_its_holder_while_others_plan()
    {
        var bucket = AwsClients.UniqueName("tfstate");
        var table = AwsClients.UniqueName("tflocks");
        using (var s3 = AwsClients.S3())
        {
            await s3.PutBucketAsync(bucket);
        }

        using var dynamo = AwsClients.DynamoDb();
        await new DynamoDbLockStore(dynamo, table, TimeProvider.System).EnsureTableAsync(CancellationToken.None);
        // What terraform itself writes while bob's apply holds the lock.
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new()
            {
                ["LockID"] = new() { S = $"{bucket}/network/terraform.tfstate" },
                ["Info"] = new() { S = $$"""{"ID":"3f0c1a2b-0000-4000-8000-00000000beef","Operation":"OperationTypeApply","Info":"","Who":"bob@ci-runner-7","Version":"1.11.4","Created":"2026-12-01T07:45:00.123456Z","Path":"{{bucket}}/network/terraform.tfstate"}""" },
            },
        });

        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["network/main.tf"] = S3Backend(bucket, "network/terraform.tfstate", table) + Resource("vpc", "10.0.0.0/16"),
            ["app/main.tf"] = S3Backend(bucket, "app/terraform.tfstate", table) + Resource("service", "v1"),
        });
        var report = await scenario.PlanChangeAsync(new Dictionary<string, string?>
        {
            ["network/main.tf"] = S3Backend(bucket, "network/terraform.tfstate", table) + Resource("vpc", "10.1.0.0/16"),
            ["app/main.tf"] = S3Backend(bucket, "app/terraform.tfstate", table) + Resource("service", "v2"),
        });

        var network = report.Projects.Single(p => p.Project.Name == "network");
        network.Status.ShouldBe(ProjectStatus.Locked, network.Diagnostics);
        network.StateLock.ShouldNotBeNull();
        network.StateLock.Who.ShouldBe("bob@ci-runner-7");
        network.StateLock.Id.ShouldBe("3f0c1a2b-0000-4000-8000-00000000beef");
        network.StateLock.Operation.ShouldBe("OperationTypeApply");
        var app = report.Projects.Single(p => p.Project.Name == "app");
        app.Status.ShouldBe(ProjectStatus.Planned, app.Diagnostics);
        app.Plan!.Counts.Create.ShouldBe(1);

        var comment = string.Join("\n", PlanBot.Core.Rendering.MarkdownComment.Render(report, new()));
        comment.ShouldContain("🔒 locked");
        comment.ShouldContain("by `bob@ci-runner-7`");
        comment.ShouldContain("`terraform force-unlock`");
    }
}
