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
}
