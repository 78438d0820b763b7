using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// The dead-letter notice on GitHub: a PR comment saying which delivery was given up and how to run
/// it again, and a failed <c>planbot/apply-gate</c> on the head when the delivery names it (a
/// parked plan must not leave an earlier green gate standing for a newer head).
/// </summary>
public sealed class VcsDeadLetterNotice(IVcs vcs) : IDeadLetterNotice
{
    public async Task NotifyAsync(Delivery delivery, WebhookEvent parsed, string why, CancellationToken cancellationToken)
    {
        if (parsed.PullRequestNumber is not { } number)
        {
            return;
        }

        var body = $"""
            **PlanBot gave up on a delivery** (`{delivery.Event}`, delivery `{delivery.Id}`, attempt {delivery.Attempt}): {why}

            Nothing was planned or applied for it. An operator can run it again with `planbot queue retry {delivery.Id}` (or GitHub's *Redeliver*) once the cause is fixed, or push a new commit.
            """;
        await vcs.CreateCommentAsync(parsed.Repo, number, body, cancellationToken).ConfigureAwait(false);
        if (parsed is WebhookEvent.PullRequestChanged changed)
        {
            await vcs.SetStatusAsync(parsed.Repo, changed.PullRequest.HeadSha, new CommitStatus(CommitState.Failure, PullRequestWorkflow.GateContext, Trim("not planned: " + why)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>GitHub refuses status descriptions over 140 characters.</summary>
    private static string Trim(string text) => text.Length <= 140 ? text : text[..139] + "…";
}
