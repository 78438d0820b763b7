using System.Text;
using System.Text.Json;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.GitHub.Tests;

/// <summary>
/// The contract any webhook parser must keep (today's, or one built on Octokit.Webhooks): a signed
/// pull_request payload missing a field PlanBot needs is a <see cref="JsonException"/> naming the field
/// (the service answers 400, `planbot run` exits 2), never a NullReferenceException.
/// </summary>
public class WebhookPayloadContractTests
{
    private const string Complete = """
        {"action":"opened","repository":{"full_name":"acme/infra","default_branch":"main"},
         "pull_request":{"number":7,"state":"open","draft":false,"merged":false,"merged_at":null,
           "user":{"login":"alice"},
           "head":{"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","ref":"change","repo":{"full_name":"acme/infra"}},
           "base":{"sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","ref":"main","repo":{"full_name":"acme/infra"}}}}
        """;

    [Fact]
    public void The_complete_payload_parses() =>
        WebhookParser.Parse("pull_request", Encoding.UTF8.GetBytes(Complete)).ShouldBeOfType<WebhookEvent.PullRequestChanged>().PullRequest.Author.ShouldBe("alice");

    [Theory]
    [InlineData("head", "pull_request.head")]
    [InlineData("user", "pull_request.user")]
    [InlineData("base", "pull_request.base")]
    public void A_payload_missing_a_required_field_is_a_clear_payload_error_naming_it(string field, string named)
    {
        var payload = System.Text.Json.Nodes.JsonNode.Parse(Complete)!;
        payload["pull_request"]!.AsObject().Remove(field);
        var error = Should.Throw<JsonException>(() => WebhookParser.Parse("pull_request", Encoding.UTF8.GetBytes(payload.ToJsonString())));
        error.Message.ShouldContain($"'{named}'");
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_a_payload_error_naming_its_path()
    {
        var payload = System.Text.Json.Nodes.JsonNode.Parse(Complete)!;
        payload["pull_request"]!["number"] = "seven";
        var error = Should.Throw<JsonException>(() => WebhookParser.Parse("pull_request", Encoding.UTF8.GetBytes(payload.ToJsonString())));
        error.Path.ShouldBe("$.pull_request.number");
    }

    /// <summary>Only the fields PlanBot reads are read (issue 19: no whole-model reflection): a shape GitHub changes elsewhere is not an error.</summary>
    [Fact]
    public void Fields_planbot_does_not_read_may_have_any_shape()
    {
        var payload = System.Text.Json.Nodes.JsonNode.Parse(Complete)!;
        payload["pull_request"]!["labels"] = 5;
        payload["pull_request"]!["milestone"] = "not an object";
        payload["pull_request"]!["head"]!["repo"]!["owner"] = new System.Text.Json.Nodes.JsonArray(1, 2);
        var parsed = WebhookParser.Parse("pull_request", Encoding.UTF8.GetBytes(payload.ToJsonString())).ShouldBeOfType<WebhookEvent.PullRequestChanged>();
        parsed.PullRequest.Number.ShouldBe(7);
        parsed.PullRequest.FromFork.ShouldBeFalse();
    }
}
