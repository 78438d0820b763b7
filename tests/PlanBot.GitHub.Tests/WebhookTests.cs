using System.Text;
using PlanBot.GitHub.Webhooks;
using PlanBot.Testing;

namespace PlanBot.GitHub.Tests;

/// <summary>Real webhook payloads (../shared/fixtures/webhooks) and GitHub's documented signature vector.</summary>
public class WebhookTests
{
    public static TheoryData<string> Payloads()
    {
        var data = new TheoryData<string>();
        if (Fixtures.Root is null)
        {
            data.Add("(absent)");
            return data;
        }

        foreach (var file in Directory.EnumerateFiles(Fixtures.Path("webhooks"), "*.json", SearchOption.AllDirectories).Where(f => !f.Contains("headers", StringComparison.Ordinal)).Order())
        {
            data.Add(Path.GetRelativePath(Fixtures.Path("webhooks"), file));
        }

        return data;
    }

    [FixtureTheory]
    [MemberData(nameof(Payloads))]
    public void Every_real_payload_parses_or_is_cleanly_ignored(string file)
    {
        var eventName = Path.GetFileName(file).Split('.')[0].Replace('-', '_') switch
        {
            "check_run_completed" or "check_run_created" or "check_run_requested_action" or "check_run_rerequested" => "check_run",
            var name => name,
        };
        var parsed = WebhookParser.Parse(eventName, File.ReadAllBytes(Fixtures.Path("webhooks", file)));
        parsed.ShouldNotBeNull();
        if (parsed is WebhookEvent.Ignored ignored)
        {
            ignored.Why.ShouldNotBeNullOrWhiteSpace();
        }
    }

    /// <summary>
    /// Every fixture payload (octokit-all included) read into the same record as the parser before
    /// Octokit.Webhooks (issue 15) read it: golden/webhook-records.txt was written by that parser
    /// (one line per file: path, event, the record as C# prints it). PLANBOT_UPDATE_GOLDEN=1 rewrites it.
    /// </summary>
    [FixtureFact]
    public void Every_fixture_payload_reads_into_the_same_record_as_before()
    {
        var golden = Path.Combine(Fixtures.RepoRoot, "tests", "PlanBot.GitHub.Tests", "golden", "webhook-records.txt");
        var lines = new List<string>();
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
        try
        {
            foreach (var file in Directory.EnumerateFiles(Fixtures.Path("webhooks"), "*.json", SearchOption.AllDirectories)
                         .Select(f => Path.GetRelativePath(Fixtures.Path("webhooks"), f).Replace('\\', '/'))
                         .Where(f => !f.StartsWith("headers/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                var eventName = Path.GetFileName(file).Split('.')[0];
                var parsed = WebhookParser.Parse(eventName, File.ReadAllBytes(Fixtures.Path("webhooks", file)));
                lines.Add($"{file}\t{eventName}\t{parsed}");
            }
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }

        lines.Count.ShouldBeGreaterThan(150, "the fixtures hold 150+ payloads");
        if (Environment.GetEnvironmentVariable("PLANBOT_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(golden)!);
            File.WriteAllLines(golden, lines);
        }

        var expected = File.ReadAllLines(golden);
        lines.Select(l => l.Split('\t')[0]).ShouldBe(expected.Select(l => l.Split('\t')[0]), "the same fixture files");
        foreach (var (actual, before) in lines.Zip(expected))
        {
            actual.ShouldBe(before);
        }
    }

    [FixtureFact]
    public void The_events_planbot_acts_on_are_recognised_with_their_details()
    {
        WebhookEvent Parse(string name) => WebhookParser.Parse(name.Split('.')[0], File.ReadAllBytes(Fixtures.Path("webhooks", name)));
        Parse("pull_request.opened.json").ShouldBeOfType<WebhookEvent.PullRequestChanged>().PullRequest.FromFork.ShouldBeFalse();
        Parse("pull_request.opened.from-fork.json").ShouldBeOfType<WebhookEvent.PullRequestChanged>().PullRequest.FromFork.ShouldBeTrue();
        Parse("pull_request.synchronize.json").ShouldBeOfType<WebhookEvent.PullRequestChanged>().Action.ShouldBe("synchronize");
        var merged = Parse("pull_request.closed.merged.json").ShouldBeOfType<WebhookEvent.PullRequestClosed>();
        merged.PullRequest.Merged.ShouldBeTrue();
        merged.MergedIntoDefaultBranch.ShouldBeTrue("merged into master, the repository's default branch: its locks wait for the apply");
        Parse("pull_request.closed.json").ShouldBeOfType<WebhookEvent.PullRequestClosed>().MergedIntoDefaultBranch.ShouldBeFalse();
        var intoRelease = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(Fixtures.Path("webhooks", "pull_request.closed.merged.json")))!;
        intoRelease["pull_request"]!["base"]!["ref"] = "release-1";
        WebhookParser.Parse("pull_request", System.Text.Encoding.UTF8.GetBytes(intoRelease.ToJsonString())).ShouldBeOfType<WebhookEvent.PullRequestClosed>().MergedIntoDefaultBranch.ShouldBeFalse();
        Parse("pull_request.labeled.json").ShouldBeOfType<WebhookEvent.Ignored>();
        Parse("issue_comment.edited.json").ShouldBeOfType<WebhookEvent.Ignored>().Why.ShouldContain("edits and deletions are ignored");
        Parse("issue_comment.deleted.json").ShouldBeOfType<WebhookEvent.Ignored>();
        Parse("issue_comment.created.on-issue.json").ShouldBeOfType<WebhookEvent.Ignored>();
        Parse("push.branch-merge-to-default.json").ShouldBeOfType<WebhookEvent.PushToDefaultBranch>();
        Parse("push.feature-branch.json").ShouldBeOfType<WebhookEvent.Ignored>();
        Parse("push.branch-deleted.json").ShouldBeOfType<WebhookEvent.Ignored>();
    }

    [Theory]
    [InlineData("null", "null", false, false)]
    [InlineData("true", "false", true, false)]
    [InlineData("false", "true", false, true)]
    public void Draft_and_merged_may_be_null_or_missing_and_read_as_false(string draft, string merged, bool isDraft, bool isMerged)
    {
        var body = """{"action":"synchronize","repository":{"full_name":"acme/infra"},"pull_request":{"number":7,"draft":DRAFT,"merged":MERGED,"merged_at":null,"user":{"login":"alice"},"head":{"sha":"h","ref":"pr"},"base":{"sha":"b","ref":"main"}}}""".Replace("DRAFT", draft, StringComparison.Ordinal).Replace("MERGED", merged, StringComparison.Ordinal);
        var pull = WebhookParser.Parse("pull_request", Encoding.UTF8.GetBytes(body)).ShouldBeOfType<WebhookEvent.PullRequestChanged>().PullRequest;
        (pull.Draft, pull.Merged).ShouldBe((isDraft, isMerged));
        var missing = WebhookParser.Parse("pull_request", Encoding.UTF8.GetBytes(body.Replace($"\"draft\":{draft},", "", StringComparison.Ordinal))).ShouldBeOfType<WebhookEvent.PullRequestChanged>().PullRequest;
        missing.Draft.ShouldBeFalse();
    }

    [Fact]
    public void A_draft_flag_that_is_not_a_boolean_is_refused_by_name()
    {
        var body = """{"action":"opened","repository":{"full_name":"acme/infra"},"pull_request":{"number":7,"draft":"yes","user":{"login":"alice"},"head":{"sha":"h","ref":"pr"},"base":{"sha":"b","ref":"main"}}}""";
        Should.Throw<System.Text.Json.JsonException>(() => WebhookParser.Parse("pull_request", Encoding.UTF8.GetBytes(body))).Message.ShouldContain("'pull_request.draft' is string");
        var merged = WebhookParser.Parse("pull_request", Encoding.UTF8.GetBytes(body.Replace("\"draft\":\"yes\"", "\"merged_at\":\"2026-01-01T00:00:00Z\"", StringComparison.Ordinal)));
        merged.ShouldBeOfType<WebhookEvent.PullRequestChanged>().PullRequest.Merged.ShouldBeTrue("merged_at set is merged, whatever merged says");
    }

    [Theory]
    [InlineData("/planbot plan", true)]
    [InlineData("\n\n  /planbot   help  \nthanks", true)]
    [InlineData("/planbotplan", false)]
    [InlineData("please /planbot plan", false)]
    [InlineData("", false)]
    public void A_command_is_a_comment_whose_first_non_empty_line_starts_with_planbot(string body, bool command) =>
        WebhookParser.IsCommand(body).ShouldBe(command);

    [Fact]
    public void Githubs_documented_signature_vector_verifies_and_tampering_does_not()
    {
        var body = Encoding.UTF8.GetBytes("Hello, World!");
        const string header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        var signature = new WebhookSignature(["It's a Secret to Everybody"]);
        signature.IsValid(body, header).ShouldBeTrue();
        signature.IsValid(Encoding.UTF8.GetBytes("Hello, World?"), header).ShouldBeFalse();
        signature.IsValid(body, null).ShouldBeFalse();
        signature.IsValid(body, "sha1=757107ea0eb2509fc211221cce984b8a37570b6d").ShouldBeFalse();
        signature.IsValid(body, "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17").ShouldBeFalse();
        new WebhookSignature(["wrong"]).IsValid(body, header).ShouldBeFalse();
        WebhookSignature.FromEnvironment("new-secret, It's a Secret to Everybody").IsValid(body, header).ShouldBeTrue(); // rotation
        Should.Throw<ArgumentException>(() => WebhookSignature.FromEnvironment(""));
    }
}
