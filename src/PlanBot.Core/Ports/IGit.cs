namespace PlanBot.Core.Ports;

public enum FileChangeKind
{
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    TypeChanged,
}

/// <summary>One changed file; renames carry the old path too, and both count as changed.</summary>
public sealed record ChangedFile(string Path, FileChangeKind Kind, string? OldPath = null)
{
    public IEnumerable<string> Paths => OldPath is null ? [Path] : [Path, OldPath];
}

/// <summary>The git questions the engine asks of a checkout.</summary>
public interface IGit
{
    /// <summary>Resolves a ref to a full commit SHA.</summary>
    Task<string> ResolveAsync(string repoDir, string reference, CancellationToken cancellationToken);

    Task<string> MergeBaseAsync(string repoDir, string a, string b, CancellationToken cancellationToken);

    /// <summary>Files changed from <paramref name="fromSha"/> to <paramref name="toSha"/>, with rename detection.</summary>
    Task<IReadOnlyList<ChangedFile>> DiffAsync(string repoDir, string fromSha, string toSha, CancellationToken cancellationToken);

    /// <summary>A file's text at a commit (<c>git show SHA:PATH</c>); null when the commit has no such file.</summary>
    /// <exception cref="Common.UsageException">The commit is not in the checkout.</exception>
    Task<string?> ShowFileAsync(string repoDir, string sha, string path, CancellationToken cancellationToken);

    /// <summary>
    /// The first of <paramref name="paths"/> that is a file at <paramref name="sha"/>, with its text; null when none is.
    /// One question where the command line can answer it at once (planbot.yaml, else planbot.yml: issue 19).
    /// </summary>
    /// <exception cref="Common.UsageException">The commit is not in the checkout, or the first path that exists is not a regular file.</exception>
    async Task<(string Path, string Text)?> ShowFirstFileAsync(string repoDir, string sha, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            if (await ShowFileAsync(repoDir, sha, path, cancellationToken).ConfigureAwait(false) is { } text)
            {
                return (path, text);
            }
        }

        return null;
    }

    /// <summary>
    /// <see cref="ShowFirstFileAsync(string, string, IReadOnlyList{string}, CancellationToken)"/>, with each of
    /// <paramref name="verify"/> (full commit SHAs) checked on the way to be a commit in the checkout, in the same
    /// question where the command line can (issue 19: a run's first wave has one git process less). A commit so
    /// verified is not asked again by <see cref="ResolveAsync"/>; one that is not is asked there, which tells its
    /// error. By default each is resolved beside the read.
    /// </summary>
    /// <exception cref="Common.UsageException">As the read without <paramref name="verify"/>; never for a commit of <paramref name="verify"/>.</exception>
    Task<(string Path, string Text)?> ShowFirstFileAsync(string repoDir, string sha, IReadOnlyList<string> paths, IReadOnlyList<string> verify, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verify);
        foreach (var commit in verify)
        {
            _ = Common.Background.Observed(ResolveAsync(repoDir, commit, cancellationToken));
        }

        return ShowFirstFileAsync(repoDir, sha, paths, cancellationToken);
    }

    /// <summary>
    /// The commit of the first of <paramref name="fullRefs"/> (<c>refs/…</c>, matched exactly, never by git's
    /// short-name rules) that exists in the checkout; null when none does.
    /// </summary>
    async Task<string?> FirstRefAsync(string repoDir, IReadOnlyList<string> fullRefs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fullRefs);
        foreach (var reference in fullRefs)
        {
            try
            {
                return await ResolveAsync(repoDir, reference, cancellationToken).ConfigureAwait(false);
            }
            catch (Common.UsageException)
            {
                // not in this checkout: the next candidate
            }
        }

        return null;
    }
}
