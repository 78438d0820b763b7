using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Testing;

namespace PlanBot.Cli.Tests;

/// <summary>
/// The `decide` job of action/commands.yml (`planbot run` with PLANBOT_DECIDE_ONLY=true) on the
/// default branch's checkout: `allowed=true` only for a command its author may give; a refusal names
/// the role and nothing else happens (no plan, no status, no reaction).
/// </summary>
public sealed class DecideOnlyTests : IAsyncLifetime
{
    private FakeGitHub _github = null!;
    private GitRepo _repo = null!;
    private readonly TempDir _dir = new("planbot-decide");
    private readonly EnvironmentScope _environment = new();

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync();
        _repo = await GitRepo.CreateAsync();
        _repo.Write("planbot.yaml", "locks: { backend: local }\n");
        var head = await _repo.CommitAsync("base");
        _github.AddPull(1, head, head);
        _github.AddPull(2, head, head, author: "outsider", forkRepo: "outsider/infra");
        _github.Permissions["reader"] = ("read", "read");
        _github.Permissions["triager"] = ("read", "triage");
        _github.Permissions["writer"] = ("write", "write");
        _github.Permissions["maintainer"] = ("write", "maintain");
    }

    public async Task DisposeAsync()
    {
        _environment.Dispose();
        await _github.DisposeAsync();
        _repo.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(1, "/planbot plan", "writer", true)]
    [InlineData(1, "/planbot approve", "maintainer", true)]
    [InlineData(1, "/planbot plan", "reader", false)]
    [InlineData(1, "/planbot unlock", "triager", false)]
    [InlineData(1, "/planbot apply", "reader", false)]
    [InlineData(1, "/planbot help", "reader", true)]          // the usage runs no PR code
    [InlineData(1, "    /planbot plan", "writer", false)]    // not a command: ignored
    [InlineData(2, "/planbot plan", "maintainer", false)]     // a fork, plan_forks off on the default branch
    public async Task Only_an_allowed_command_opens_the_checkout_of_the_pull_request(int pr, string body, string user, bool allowed)
    {
        var (code, output, stderr) = await DecideAsync(pr, body, user);
        code.ShouldBe(0, stderr);
        output.ShouldBe($"allowed={(allowed ? "true" : "false")}\n");
        _github.Statuses.ShouldBeEmpty();
        _github.CheckRuns.ShouldBeEmpty();
        var replies = _github.CommentsOn(pr).Where(c => c.User != user).ToArray();
        if (!allowed && SlashCommandIsOne(body))
        {
            replies.ShouldHaveSingleItem().Body.ShouldStartWith($"@{user} ");
            replies[0].Body.ShouldContain(pr == 2 ? "fork" : "needs the `write` role");
        }
        else
        {
            replies.ShouldBeEmpty();
        }
    }

    private static bool SlashCommandIsOne(string body) => Core.Commands.SlashCommand.IsCommand(body);

    private async Task<(int Code, string Output, string Stderr)> DecideAsync(int pr, string body, string user)
    {
        var comment = _github.AddComment(pr, body, user);
        var payload = new JsonObject
        {
            ["action"] = "created",
            ["issue"] = new JsonObject { ["number"] = pr, ["pull_request"] = new JsonObject { ["url"] = "x" } },
            ["comment"] = new JsonObject { ["id"] = comment.Id, ["body"] = body, ["user"] = new JsonObject { ["login"] = user, ["type"] = "User" }, ["created_at"] = comment.Created, ["updated_at"] = comment.Updated },
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra" },
        };
        var eventPath = _dir.Combine("event.json");
        await File.WriteAllTextAsync(eventPath, payload.ToJsonString());
        var output = _dir.Combine("output");
        Set("GITHUB_EVENT_NAME", "issue_comment");
        Set("GITHUB_EVENT_PATH", eventPath);
        Set("GITHUB_REPOSITORY", "acme/infra");
        Set("GITHUB_TOKEN", FakeGitHub.Token);
        Set("GITHUB_API_URL", _github.Url.ToString());
        Set("GITHUB_WORKSPACE", _repo.Root);
        Set("GITHUB_RUN_ID", "decide");
        Set("PLANBOT_DATA_DIR", _dir.Combine("data"));
        Set("PLANBOT_DECIDE_ONLY", "true");
        Set("GITHUB_OUTPUT", output);
        Set("GITHUB_STEP_SUMMARY", _dir.Combine("summary.md"));
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["run"], new StringWriter(), stderr);
        return (code, File.Exists(output) ? await File.ReadAllTextAsync(output) : "", stderr.ToString());
    }

    private void Set(string name, string? value) => _environment.Set(name, value);
}
