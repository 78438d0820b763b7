using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Processes;
using PlanBot.Core.Common;

namespace PlanBot.Terraform.Git;

/// <summary>The git command line, asked the questions <see cref="IGit"/> defines.</summary>
public sealed class GitCli : IGit
{
    /// <summary>
    /// Full commit SHAs already verified per repository: a commit that exists keeps existing (a branch
    /// name moves, so names are always asked). A run reads planbot.yaml at the base, diffs and plans
    /// the same two SHAs; each git process costs a run's start-up 5–50 ms (issue 19).
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string RepoDir, string Sha), bool> _commits = new();

    public async Task<string> ResolveAsync(string repoDir, string reference, CancellationToken cancellationToken)
    {
        if (reference.StartsWith('-'))
        {
            throw new UsageException($"'{reference}' is not a git ref");
        }

        var fullSha = reference.Length == 40 && reference.All(char.IsAsciiHexDigitLower);
        if (fullSha && _commits.ContainsKey((repoDir, reference)))
        {
            return reference;
        }

        var output = await RunAsync(repoDir, ["rev-parse", "--verify", "--quiet", reference + "^{commit}"], cancellationToken, allowFailure: true).ConfigureAwait(false);
        if (output.Trim() is not { Length: 40 } sha)
        {
            throw new UsageException($"'{reference}' is not a commit in {repoDir}; pass an existing branch, tag or SHA (fetch it first if it is remote)");
        }

        if (fullSha && sha == reference)
        {
            _commits[(repoDir, reference)] = true;
        }

        return sha;
    }

    public async Task<string> MergeBaseAsync(string repoDir, string a, string b, CancellationToken cancellationToken)
    {
        var output = await RunAsync(repoDir, ["merge-base", a, b], cancellationToken, allowFailure: true).ConfigureAwait(false);
        return output.Trim() is { Length: 40 } sha
            ? sha
            : throw new UsageException($"{a[..7]} and {b[..7]} have no common ancestor; is the base from the same repository (a shallow clone needs `git fetch --unshallow`)?");
    }

    public async Task<IReadOnlyList<ChangedFile>> DiffAsync(string repoDir, string fromSha, string toSha, CancellationToken cancellationToken)
    {
        var output = await RunAsync(repoDir, ["-c", "core.quotepath=off", "diff", "--name-status", "-z", "-M", "--no-ext-diff", fromSha, toSha], cancellationToken).ConfigureAwait(false);
        return ParseNameStatus(output);
    }

    public async Task<string?> ShowFileAsync(string repoDir, string sha, string path, CancellationToken cancellationToken)
    {
        var commit = await ResolveAsync(repoDir, sha, cancellationToken).ConfigureAwait(false);
        // ls-tree tells "no such file" apart from a failure; only a regular file (not a symlink) is read
        var entry = await RunAsync(repoDir, ["ls-tree", commit, "--", path], cancellationToken).ConfigureAwait(false);
        if (entry.Trim().Length == 0)
        {
            return null;
        }

        if (!entry.StartsWith("100", StringComparison.Ordinal))
        {
            throw new UsageException($"{path} at {commit[..7]} is not a regular file (a symlink or directory); make it a plain file");
        }

        return await RunAsync(repoDir, ["show", $"{commit}:{path}"], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Parses `git diff --name-status -z`: a status field, then one path (two for renames and copies).</summary>
    public static IReadOnlyList<ChangedFile> ParseNameStatus(string output)
    {
        var fields = output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var changes = new List<ChangedFile>();
        for (var i = 0; i < fields.Length; i++)
        {
            var status = fields[i];
            switch (status[0])
            {
                case 'R' or 'C' when i + 2 < fields.Length:
                    changes.Add(new ChangedFile(fields[i + 2], status[0] == 'R' ? FileChangeKind.Renamed : FileChangeKind.Copied, fields[i + 1]));
                    i += 2;
                    break;
                case var kind when i + 1 < fields.Length:
                    changes.Add(new ChangedFile(fields[i + 1], kind switch
                    {
                        'A' => FileChangeKind.Added,
                        'D' => FileChangeKind.Deleted,
                        'T' => FileChangeKind.TypeChanged,
                        _ => FileChangeKind.Modified,
                    }));
                    i += 1;
                    break;
            }
        }

        return changes;
    }

    /// <summary>Checks <paramref name="sha"/> out into a new detached worktree at <paramref name="path"/>.</summary>
    public Task AddWorktreeAsync(string repoDir, string sha, string path, CancellationToken cancellationToken) =>
        RunAsync(repoDir, ["worktree", "add", "--detach", "--force", path, sha], cancellationToken);

    public Task RemoveWorktreeAsync(string repoDir, string path, CancellationToken cancellationToken) =>
        RunAsync(repoDir, ["worktree", "remove", "--force", path], cancellationToken, allowFailure: true);

    public static async Task<string> RunAsync(string repoDir, string[] arguments, CancellationToken cancellationToken, bool allowFailure = false)
    {
        var stdout = Path.GetTempFileName();
        try
        {
            var outcome = await ChildProcess.RunAsync(new ProcessSpec
            {
                FileName = "git",
                Arguments = ["-C", repoDir, .. arguments],
                WorkingDirectory = repoDir,
                StdoutFile = stdout,
                Timeout = TimeSpan.FromMinutes(10),
                Environment = new Dictionary<string, string?> { ["GIT_TERMINAL_PROMPT"] = "0", ["LC_ALL"] = "C" },
            }, cancellationToken).ConfigureAwait(false);
            if (outcome.NotFound)
            {
                throw new UsageException("git is not installed or not on PATH; PlanBot needs it to find what changed");
            }

            if (outcome.ExitCode != 0 && !allowFailure)
            {
                throw new UsageException($"git {arguments[0]} failed in {repoDir}: {outcome.StderrTail.Trim().Split('\n')[0]}");
            }

            return await File.ReadAllTextAsync(stdout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(stdout);
        }
    }
}
