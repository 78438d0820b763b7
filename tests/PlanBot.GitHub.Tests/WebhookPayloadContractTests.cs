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
}
