namespace PlanBot.Core.Ports;

/// <summary>
/// Plan files and their summaries, kept between plan and apply. Objects are sealed by
/// <see cref="Plans.PlanEnvelope"/>: a SHA-256 checked on every read, and AES-256-GCM encryption
/// before they leave the machine when PLANBOT_PLAN_KEY is set.
/// </summary>
public interface IPlanStore
{
    Task PutAsync(PlanKey key, StoredPlan plan, CancellationToken cancellationToken);

    /// <summary>The plan, or null when none is stored.</summary>
    /// <exception cref="Plans.PlanIntegrityException">The object was altered, or is encrypted and the key is missing or wrong.</exception>
    Task<StoredPlan?> GetAsync(PlanKey key, CancellationToken cancellationToken);

    /// <summary>Deletes every object of one pull request (closed, or merged and applied).</summary>
    Task<int> DeletePullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken);
}

/// <summary>Where one project's plan of one head SHA of one PR is kept.</summary>
public sealed record PlanKey(string Repo, int PullRequest, string HeadSha, string Project)
{
    public string PullRequestPrefix => $"{Safe(Repo)}/pr-{PullRequest}/";

    public string Name => $"{PullRequestPrefix}{Safe(HeadSha)}/{Safe(Project)}.plan";

    // One path segment, never "." or "..": a name must not climb out of the store's root.
    private static string Safe(string text)
    {
        var safe = string.Concat(text.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '@' ? c : c == '/' ? '~' : '_'));
        return safe.Trim('.').Length == 0 ? new string('_', Math.Max(1, safe.Length)) : safe;
    }
}

/// <summary>The plan file terraform wrote and the summary JSON it was approved by.</summary>
public sealed record StoredPlan(byte[] PlanFile, string SummaryJson);
