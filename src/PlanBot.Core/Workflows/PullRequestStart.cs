using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

/// <summary>A pull request's run up to its plan: the trusted side, the configuration, and the PR's file list if it was asked for.</summary>
/// <param name="ChangedFiles">The PR's changed files, asked of the code host while the configuration was read; null: not asked (the workflow asks when it plans).</param>
public sealed record PullRequestStarted(TrustedBase Trusted, RunConfig Config, Task<IReadOnlyList<ChangedFile>?>? ChangedFiles);

/// <summary>
/// The start of a pull request's run, ordered so the first terraform starts as early as the trust
/// boundary allows (issue 19): the trusted side is resolved first (it can refuse the run), then the
/// PR's file list is asked of the code host while the configuration is read through git, since
/// neither needs the other. The list is asked only for a run that will surely want it whatever the
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
        var trusted = await TrustedBase.ResolveAsync(git, checkout, pr, cancellationToken).ConfigureAwait(false);
        progress?.Report(trusted.Note ?? $"#{pr.Number}: policy from {trusted.Label}");
        var files = listFiles ? Observed(vcs.GetChangedFilesAsync(repo, pr.Number, cancellationToken)) : null;
        if (listFiles && pr.HeadSha.Length == 40)
        {
            // the plan verifies the head first: asked now, its git process runs beside the config's (a failure is the plan's to tell)
            _ = Observed(git.ResolveAsync(checkout, pr.HeadSha, cancellationToken));
        }

        var config = await RunConfigLoader.LoadForPullRequestAsync(git, checkout, trusted, configDir, policy, cancellationToken).ConfigureAwait(false);
        return new PullRequestStarted(trusted, config, files);
    }

    /// <summary>
    /// The task, its failure marked as seen: a run that stops before it needs the list (an invalid
    /// planbot.yaml) must not leave an unobserved exception behind. Whoever awaits it still gets the error.
    /// </summary>
    private static Task<T> Observed<T>(Task<T> task)
    {
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }
}
