using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using PlanBot.Aws.Locks;
using PlanBot.Cli.Commands;
using PlanBot.Core.Ports;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>`planbot locks` against a DynamoDB table (dynalite) shared with terraform's state locks.</summary>
public class LocksCommandTests
{
    [Fact]
    public async Task List_shows_planbot_and_terraform_locks_and_release_refuses_the_wrong_pr_then_releases()
    {
        using var environment = new EnvironmentScope();
        environment.Set("AWS_ACCESS_KEY_ID", "S3RVER");
        environment.Set("AWS_SECRET_ACCESS_KEY", "S3RVER");
        var table = "cli-" + Guid.NewGuid().ToString("N")[..12];
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["app/main.tf"] = LocalBackend + Resource("svc", "a"),
            ["planbot.yaml"] = $"locks:\n  backend: dynamodb\n  dynamodb: {{ table: {table}, region: us-east-1, endpoint: \"{TestServers.DynamoDb}\" }}\n",
        });
        var repository = await LocksCommand.RepositoryName(PlanBot.Hosting.PlanBotSettings.FromEnvironment(), scenario.Repo.Root, CancellationToken.None);
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonDynamoDBConfig { ServiceURL = TestServers.DynamoDb, AuthenticationRegion = "us-east-1" });
        var store = new DynamoDbLockStore(client, table, TimeProvider.System);
        await store.EnsureTableAsync(CancellationToken.None);
        await store.AcquireAsync(new LockKey(LockKind.Project, repository, "app", "default"), new LockOwner(repository, 3, "abc", "carol", "run-3"), TimeSpan.FromDays(7), CancellationToken.None);
        await client.PutItemAsync(new() { TableName = table, Item = new() { ["LockID"] = new() { S = "state/app.tfstate" }, ["Info"] = new() { S = """{"ID":"x1","Who":"dave@host"}""" } } });
        var approvals = new PlanBot.Core.Policy.ApprovalRecords(store);
        var plan = new PlanBot.Core.Policy.PlanMeta("abc", 1, new() { ["app"] = "fp" }, ["app"]);
        await approvals.SaveAsync(new LockOwner(repository, 3, "abc", "carol", "run-3"), await approvals.ReadAsync(repository, 3, null, CancellationToken.None),
            new PlanBot.Core.Policy.ApprovalState(plan, [new PlanBot.Core.Policy.ApprovalEntry(11, "erin", "abc", new() { ["app"] = "fp" })]), [new PlanBot.Core.Discovery.Project { Name = "app", Dir = "app" }], CancellationToken.None);

        var (code, output, errors) = await Run("locks", "list", "--repo", scenario.Repo.Root, "--json");
        code.ShouldBe(0, errors);
        using (var json = JsonDocument.Parse(output))
        {
            var held = json.RootElement.GetProperty("locks").EnumerateArray().Single();
            held.GetProperty("dir").GetString().ShouldBe("app");
            held.GetProperty("pull_request").GetInt32().ShouldBe(3);
            held.GetProperty("user").GetString().ShouldBe("carol");
            held.GetProperty("approved_by").EnumerateArray().Select(u => u.GetString()).ShouldBe(["erin"]);
            json.RootElement.GetProperty("terraform_locks")[0].GetProperty("info").GetString()!.ShouldContain("dave@host");
        }

        var (_, text, _) = await Run("locks", "list", "--repo", scenario.Repo.Root);
        text.ShouldContain("APPROVED BY");
        text.Split('\n').Single(l => l.StartsWith("project", StringComparison.Ordinal)).ShouldEndWith("@erin");

        var (wrong, _, wrongErrors) = await Run("locks", "release", "--repo", scenario.Repo.Root, "-p", "app", "--pr", "9");
        wrong.ShouldBe(1);
        wrongErrors.ShouldContain("app is locked by #3, not #9");

        var (released, releasedOut, _) = await Run("locks", "release", "--repo", scenario.Repo.Root, "-p", "app");
        released.ShouldBe(0);
        releasedOut.ShouldContain("app: released (was held by #3)");
        (await store.ListAsync(repository, CancellationToken.None)).ShouldBeEmpty();
        (await store.ListTerraformLocksAsync(CancellationToken.None)).Count.ShouldBe(1, "terraform's lock is never released by PlanBot");
    }

    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(args);
}
