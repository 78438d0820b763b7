using PlanBot.Core.Comments;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Webhooks;

namespace PlanBot.Server;

/// <summary>
/// The dead-letter notice on GitHub: PlanBot's plan comment, edited in place (<see cref="ErrorNotice"/>),
/// saying which delivery was given up and how to run it again, and a failed <c>planbot/apply-gate</c>
/// on the head (a parked plan must not leave an earlier green gate standing for a newer head). The
/// head is the payload's, or for a command the PR's as GitHub has it now.
/// </summary>
public sealed class VcsDeadLetterNotice(IVcs vcs) : IDeadLetterNotice
{
    public async Task NotifyAsync(Delivery delivery, WebhookEvent parsed, string why, CancellationToken cancellationToken)
    {
        if (parsed.PullRequestNumber is not { } number)
        {
            return;
        }

        var head = parsed switch
        {
            WebhookEvent.PullRequestChanged changed => changed.PullRequest.HeadSha,
            WebhookEvent.Command => (await vcs.GetPullRequestAsync(parsed.Repo, number, cancellationToken).ConfigureAwait(false)).HeadSha,
            _ => null, // a closed PR: its gate no longer matters
        };
        await ErrorNotice.PostAsync(vcs, parsed.Repo, number, head, For(delivery, why), null, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The notice of a parked or failed delivery.</summary>
    public static ErrorReport For(Delivery delivery, string why)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return new(
            $"PlanBot gave up on a delivery (`{delivery.Event}`, attempt {delivery.Attempt})",
            $"delivery {delivery.Id}: {why}",
            $"Nothing was planned or applied for it. Push a new commit or comment `/planbot plan` to run again once the cause is fixed; an operator can re-run this delivery with `planbot queue retry {delivery.Id}` (or GitHub's *Redeliver*).",
            "not planned: PlanBot gave up on this delivery (see the PlanBot comment)");
    }
}
