using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

/// <summary>A pull request's run up to its plan: the trusted side, the configuration, and the PR's file list if it was asked for.</summary>
/// <param name="ChangedFiles">The PR's changed files, asked of the code host while the configuration was read; null: not asked (the workflow asks when it plans).</param>
public sealed record PullRequestStarted(TrustedBase Trusted, RunConfig Config, Task<IReadOnlyList<ChangedFile>?>? ChangedFiles);

/// <summary>
/// The start of a pull request's run, ordered so the first terraform starts as early as the trust
/// boundary allows (issue 19): everything the event alone can ask starts in one wave. The local git
/// questions start first (the PR head's verification and planbot.yaml at the event's base, read ahead on
/// the guess that it is the trusted commit, beside <see cref="TrustedBase.ResolveAsync"/>'s own), then
/// the PR's file list is asked of the code host while they run (on GitHub the slowest answer of the
/// start, a round trip of 100–300 ms or more for a paged list). The trusted side is resolved (it can
/// refuse the run), and the configuration is finished. Which files a PR changes is a fact of the event,
/// not something the trusted side decides, and the list is only a read: it is <em>used</em> only once the
/// trusted configuration is loaded, and a run that fails before that cancels it (its failure marked as seen).
/// A read ahead is taken only for the commit it read
/// (<see cref="RunConfigLoader.LoadForPullRequestAsync(IGit, string, TrustedBase, string?, ServerPolicy?, ConfigReadAhead?, CancellationToken)"/>). The list is asked only for a run that will surely want it whatever the
/// configuration says: a single job planning the affected projects of a PR that is neither a draft
/// nor from a fork (those are planned only when the trusted policy says so, and then the workflow
/// asks). A refused repository never gets here (the dispatcher refuses it first).
/// </summary>
public static class PullRequestStart
{
    /// <summary>Whether the file list of <paramref name="pr"/> is asked while the configuration is read.</summary>
    public static bool ListsFilesEarly(PullRequestInfo pr, FanOutRun? fanOut, ProjectSelection selection)
    {
        ArgumentNullException.ThrowIfNull(pr);
        ArgumentNullException.ThrowIfNull(selection);
        return fanOut is null && selection.IsAffected && !pr.Draft && !pr.FromFork;
    }

    /// <exception cref="ConfigException">planbot.yaml is invalid on either side, or the server policy refuses it.</exception>
    /// <exception cref="Common.UsageException">The trusted side cannot be found (<see cref="TrustedBase.ResolveAsync"/>).</exception>
    public static async Task<PullRequestStarted> RunAsync(IGit git, IVcs vcs, string repo, string checkout, PullRequestInfo pr, bool listFiles, string? configDir, ServerPolicy? policy,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vcs);
        ArgumentNullException.ThrowIfNull(pr);
        // the first wave (issue 19): every local git question the event alone can ask starts (the PR head's verification and
        // planbot.yaml at the event's base in one cat-file; TrustedBase's branch head and, on a guess, fork point), then the
        // code host's file list, the slowest answer of all, while those git processes run. The list is a read only; it is
        // used once the trusted configuration is loaded, and cancelled when the start fails (a refused run drops it).
        string[] head = listFiles && TrustedBase.IsSha(pr.HeadSha) ? [pr.HeadSha] : [];

        // a guess: the checkout's default branch is usually the event's base, so its planbot.yaml is read now and
        // taken only if the trusted side resolves to that very commit (or the fork point is it)
        var readAhead = RunConfigLoader.ReadAhead(git, checkout, configDir, pr.BaseSha, head, cancellationToken);
        if (readAhead is null && head.Length > 0)
        {
            _ = Background.Observed(git.ResolveAsync(checkout, pr.HeadSha, cancellationToken)); // the plan verifies the head first
        }

        var resolving = TrustedBase.ResolveAsync(git, checkout, pr, cancellationToken);
        var listing = listFiles ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken) : null;
        var files = listing is null ? null : Background.Observed(vcs.GetChangedFilesAsync(repo, pr.Number, listing.Token));
        _ = files?.ContinueWith(_ => listing!.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        TrustedBase trusted;
        RunConfig config;
        try
        {
            trusted = await resolving.ConfigureAwait(false);
            progress?.Report(trusted.Note ?? $"#{pr.Number}: policy from {trusted.Label}");
            config = await RunConfigLoader.LoadForPullRequestAsync(git, checkout, trusted, configDir, policy, readAhead, cancellationToken).ConfigureAwait(false);
        }
        catch when (listing is not null)
        {
            Cancel(listing); // the run ends here: the list's remaining pages are not asked for
            throw;
        }

        return new PullRequestStarted(trusted, config, files);
    }

    private static void Cancel(CancellationTokenSource listing)
    {
        try
        {
            listing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the list was answered (and its source let go) already
        }
    }
}
