using PlanBot.GitHub.Webhooks;
using PlanBot.Testing;

namespace PlanBot.GitHub.Tests;

/// <summary>
/// pull_request_target is a PR event (tfaction's isPREvent expectations in
/// repos/tfaction-tests/_expectations/run.test.ts.txt say so too), with the same fork rules as pull_request.
/// </summary>
public class PullRequestTargetTests
{
    [FixtureTheory]
    [InlineData("pull_request.opened.json", false)]
    [InlineData("pull_request.opened.from-fork.json", true)]
    [InlineData("pull_request.synchronize.json", false)]
    public void Pull_request_target_is_parsed_like_pull_request_keeping_the_fork_flag(string file, bool fork)
    {
        var body = File.ReadAllBytes(Fixtures.Path("webhooks", file));
        var asPr = WebhookParser.Parse("pull_request", body).ShouldBeOfType<WebhookEvent.PullRequestChanged>();
        var asTarget = WebhookParser.Parse("pull_request_target", body).ShouldBeOfType<WebhookEvent.PullRequestChanged>();
        asTarget.ShouldBe(asPr);
        asTarget.PullRequest.FromFork.ShouldBe(fork);
    }

    [FixtureFact]
    public void A_closed_pull_request_target_releases_like_a_closed_pull_request()
    {
        var body = File.ReadAllBytes(Fixtures.Path("webhooks", "pull_request.closed.merged.json"));
        WebhookParser.Parse("pull_request_target", body).ShouldBeOfType<WebhookEvent.PullRequestClosed>().MergedIntoDefaultBranch.ShouldBeTrue();
    }

    [FixtureTheory]
    [InlineData("push", false)]
    [InlineData("workflow_dispatch", false)]
    [InlineData("schedule", false)]
    [InlineData("issue_comment", false)]
    public void Other_events_carrying_a_pull_request_are_not_pr_events(string eventName, bool prEvent)
    {
        var body = File.ReadAllBytes(Fixtures.Path("webhooks", "pull_request.opened.json"));
        (WebhookParser.Parse(eventName, body) is WebhookEvent.PullRequestChanged).ShouldBe(prEvent);
    }
}
