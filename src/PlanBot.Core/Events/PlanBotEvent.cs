using PlanBot.Core.Ports;

namespace PlanBot.Core.Events;

/// <summary>
/// What happened, as the engine sees it: from an Action's event file (`planbot run`), a webhook
/// delivery (`planbot serve`) or the service's drift schedule. <see cref="EventDispatcher"/> maps each
/// to its workflow.
/// </summary>
public abstract record PlanBotEvent(string Repo)
{
    /// <summary>Opened, pushed to, reopened or ready for review: plan it.</summary>
    public sealed record PullRequestChanged(string Repo, PullRequestInfo PullRequest) : PlanBotEvent(Repo);

    /// <param name="MergedIntoDefaultBranch">Merged into the default branch: the push of the merge applies it.</param>
    public sealed record PullRequestClosed(string Repo, PullRequestInfo PullRequest, bool MergedIntoDefaultBranch) : PlanBotEvent(Repo);

    /// <summary>A new <c>/planbot</c> comment on a pull request.</summary>
    public sealed record Command(string Repo, int Number, IssueComment Comment) : PlanBotEvent(Repo);

    /// <summary>A push to the default branch (a merge): apply what was approved.</summary>
    public sealed record PushToDefaultBranch(string Repo, string Sha, string? CloneUrl = null) : PlanBotEvent(Repo);

    /// <summary>Check the default branch for drift (a schedule, workflow_dispatch, or the service's timer).</summary>
    public sealed record DriftCheck(string Repo, string? CloneUrl = null) : PlanBotEvent(Repo);

    /// <summary>An event PlanBot does not act on, with why.</summary>
    public sealed record Ignored(string Repo, string Why) : PlanBotEvent(Repo);
}
