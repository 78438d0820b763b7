using PlanBot.Core.Ports;
using PlanBot.GitHub.Rest;

namespace PlanBot.GitHub.Webhooks;

public static partial class WebhookParser
{
    /// <summary>A PR as our REST client reads it (GET /pulls/N); goes with that client when IVcs moves to Octokit.</summary>
    internal static PullRequestInfo Pull(PullJson p, string repo) => new()
    {
        Number = p.Number,
        HeadSha = p.Head.Sha,
        BaseSha = p.Base.Sha,
        BaseRef = p.Base.Ref,
        HeadRef = p.Head.Ref,
        Author = p.User.Login,
        State = p.State,
        Draft = p.Draft == true,
        Merged = p.Merged == true || p.MergedAt is not null,
        FromFork = p.Head.Repo is { } head && !string.Equals(head.FullName, repo, StringComparison.OrdinalIgnoreCase),
        CloneUrl = p.Base.Repo?.CloneUrl,
        MergeCommitSha = p.MergeCommitSha,
    };
}
