using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

/// <summary>A pull request's run up to its plan: the trusted side, the configuration, and the PR's file list if it was asked for.</summary>
/// <param name="ChangedFiles">The PR's changed files, asked of the code host while the configuration was read; null: not asked (the workflow asks when it plans).</param>
public sealed record PullRequestStarted(TrustedBase Trusted, RunConfig Config, Task<IReadOnlyList<ChangedFile>?>? ChangedFiles);

/// <summary>
/// The start of a pull request's run, ordered so the first terraform starts as early as the trust
/// boundary allows (issue 19): the local git questions the event alone can ask start in one wave (the
/// PR head's verification, planbot.yaml at the event's base read ahead on the guess that it is the
/// trusted commit, beside <see cref="TrustedBase.ResolveAsync"/>'s own), the trusted side is resolved
/// (it can refuse the run), then the PR's file list is asked of the code host while the configuration
/// is finished, since neither needs the other. A read ahead is taken only for the commit it read
/// (<see cref="RunConfigLoader.LoadForPullRequestAsync(IGit, string, TrustedBase, string?, ServerPolicy?, ConfigReadAhead?, CancellationToken)"/>). The list is asked only for a run that will surely want it whatever the
/// configuration says: a single job planning the affected projects of a PR that is neither a draft
/// nor from a fork (those are planned only when the trusted policy says so, and then the workflow
/// asks). A refused repository never gets here (the dispatcher refuses it first), and a run the
/// trusted side refuses throws before anything is asked.
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
        // the first wave (issue 19): every local git question the event alone can ask starts at once, beside the
        // trusted side's own (TrustedBase starts the branch's head and, on a guess, the fork point). Only git is
        // asked here; the code host is asked nothing before the trusted side is resolved.
        if (listFiles && TrustedBase.IsSha(pr.HeadSha))
        {
            // the plan verifies the head first: asked now, its git process runs in the first wave (a failure is the plan's to tell)
            _ = Observed(git.ResolveAsync(checkout, pr.HeadSha, cancellationToken));
        }

        // a guess: the checkout's default branch is usually the event's base, so its planbot.yaml is read now and
        // taken only if the trusted side resolves to that very commit (or the fork point is it)
        var readAhead = RunConfigLoader.ReadAhead(git, checkout, configDir, pr.BaseSha, cancellationToken);
        var trusted = await TrustedBase.ResolveAsync(git, checkout, pr, cancellationToken).ConfigureAwait(false);
        progress?.Report(trusted.Note ?? $"#{pr.Number}: policy from {trusted.Label}");
        var files = listFiles ? Observed(vcs.GetChangedFilesAsync(repo, pr.Number, cancellationToken)) : null;
        var config = await RunConfigLoader.LoadForPullRequestAsync(git, checkout, trusted, configDir, policy, readAhead, cancellationToken).ConfigureAwait(false);
        return new PullRequestStarted(trusted, config, files);
    }

    private static Task<T> Observed<T>(Task<T> task) => TrustedBase.Observed(task);
}
