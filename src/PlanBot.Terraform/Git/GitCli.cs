using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Processes;
using PlanBot.Core.Common;

namespace PlanBot.Terraform.Git;

/// <summary>The git command line, asked the questions <see cref="IGit"/> defines.</summary>
/// <param name="inherited">The environment git starts from instead of this process's own (tests); either way without what <see cref="GitEnvironment.Withheld"/> names.</param>
public sealed class GitCli(IReadOnlyDictionary<string, string>? inherited = null) : IGit
{
    /// <summary>
    /// Full commit SHAs already verified per repository: a commit that exists keeps existing (a branch
    /// name moves, so names are always asked). A run reads planbot.yaml at the base, diffs and plans
    /// the same two SHAs; each git process costs a run's start-up 5–50 ms (issue 19).
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string RepoDir, string Sha), bool> _commits = new();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string RepoDir, string Sha), Task<string>> _verifying = new();

    /// <summary>Commits a <c>cat-file</c> batch is verifying now (<see cref="ShowFirstFileAsync(string, string, IReadOnlyList{string}, IReadOnlyList{string}, CancellationToken)"/>): true when it did.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string RepoDir, string Sha), Task<bool>> _batchVerifying = new();

    public async Task<string> ResolveAsync(string repoDir, string reference, CancellationToken cancellationToken)
    {
        if (reference.StartsWith('-'))
        {
            throw new UsageException($"'{reference}' is not a git ref");
        }

        var fullSha = reference.Length == 40 && reference.All(char.IsAsciiHexDigitLower);
        if (fullSha && await KnownCommitAsync(repoDir, reference, cancellationToken).ConfigureAwait(false))
        {
            return reference;
        }

        if (fullSha)
        {
            // asked again while the first answer is on its way (a run verifies the PR's head early, side by side with its config): one git process
            var key = (repoDir, reference);
            // shared: one caller's cancellation must not cancel the others' (the process still has its own timeout)
            var verifying = _verifying.GetOrAdd(key, _ => RevParseAsync(repoDir, reference, true, CancellationToken.None));
            try
            {
                return await verifying.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _verifying.TryRemove(new KeyValuePair<(string, string), Task<string>>(key, verifying));
            }
        }

        return await RevParseAsync(repoDir, reference, false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether <paramref name="sha"/> is a commit verified already, or verified by the batch reading it now (its answer is
    /// waited for: a few ms, where a process of its own costs more). False: not known, ask git.
    /// </summary>
    private async Task<bool> KnownCommitAsync(string repoDir, string sha, CancellationToken cancellationToken) =>
        _commits.ContainsKey((repoDir, sha))
        || (_batchVerifying.TryGetValue((repoDir, sha), out var pending) && await pending.WaitAsync(cancellationToken).ConfigureAwait(false));

    private async Task<string> RevParseAsync(string repoDir, string reference, bool fullSha, CancellationToken cancellationToken)
    {
        var output = await RunAsync(repoDir, ["rev-parse", "--verify", "--quiet", reference + "^{commit}"], cancellationToken, allowFailure: true, query: true, inherited: inherited).ConfigureAwait(false);
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
        var output = await RunAsync(repoDir, ["merge-base", a, b], cancellationToken, allowFailure: true, query: true, inherited: inherited).ConfigureAwait(false);
        return output.Trim() is { Length: 40 } sha
            ? sha
            : throw new UsageException($"{a[..7]} and {b[..7]} have no common ancestor; is the base from the same repository (a shallow clone needs `git fetch --unshallow`)?");
    }

    public async Task<IReadOnlyList<ChangedFile>> DiffAsync(string repoDir, string fromSha, string toSha, CancellationToken cancellationToken)
    {
        var output = await RunAsync(repoDir, ["-c", "core.quotepath=off", "diff", "--name-status", "-z", "-M", "--no-ext-diff", fromSha, toSha], cancellationToken, query: true, inherited: inherited).ConfigureAwait(false);
        return ParseNameStatus(output);
    }

    public async Task<string?> ShowFileAsync(string repoDir, string sha, string path, CancellationToken cancellationToken)
    {
        var commit = await ResolveAsync(repoDir, sha, cancellationToken).ConfigureAwait(false);
        // ls-tree tells "no such file" apart from a failure; only a regular file (not a symlink) is read
        var entry = await RunAsync(repoDir, ["ls-tree", commit, "--", path], cancellationToken, query: true, inherited: inherited).ConfigureAwait(false);
        if (entry.Trim().Length == 0)
        {
            return null;
        }

        if (!entry.StartsWith("100", StringComparison.Ordinal))
        {
            throw new UsageException($"{path} at {commit[..7]} is not a regular file (a symlink or directory); make it a plain file");
        }

        return await RunAsync(repoDir, ["show", $"{commit}:{path}"], cancellationToken, query: true, inherited: inherited).ConfigureAwait(false);
    }

    /// <summary>
    /// One <c>git cat-file --batch</c> for the commit, the trees down to each path and the first file found
    /// (issue 19: planbot.yaml, else planbot.yml, used to take a rev-parse and an ls-tree and a show each).
    /// The same answers as <see cref="ShowFileAsync"/> in turn: a commit that is not in the checkout is an
    /// error, a path through something that is not a directory is not there, and a path that is there but
    /// is not a regular file (a symlink, a directory, a submodule) is an error.
    /// </summary>
    public Task<(string Path, string Text)?> ShowFirstFileAsync(string repoDir, string sha, IReadOnlyList<string> paths, CancellationToken cancellationToken) =>
        ShowFirstFileAsync(repoDir, sha, paths, [], cancellationToken);

    /// <summary>
    /// As above, with each of <paramref name="verify"/> asked as <c>SHA^{commit}</c> in the same <c>git cat-file --batch</c>
    /// first: a commit whose answer is itself is remembered as <see cref="ResolveAsync"/>'s <c>rev-parse</c> would remember
    /// it (an annotated tag's id peels to another id, and is not). Until the answer is in, a <see cref="ResolveAsync"/> of
    /// it waits for it instead of starting its own process; one the batch does not verify (not there, not a commit, or
    /// the read failed before it) is asked of <c>rev-parse</c> then, which tells the error.
    /// </summary>
    public async Task<(string Path, string Text)?> ShowFirstFileAsync(string repoDir, string sha, IReadOnlyList<string> paths, IReadOnlyList<string> verify, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(verify);
        if (!GitObjects.IsObjectId(sha) || paths.Any(p => p.Split('/').Any(part => part is "" or "." or ".." || part.Any(char.IsControl))))
        {
            foreach (var commit in verify)
            {
                _ = Background.Observed(ResolveAsync(repoDir, commit, cancellationToken));
            }

            // a branch name or an unusual path: git's own rules, one file at a time
            foreach (var path in paths)
            {
                if (await ShowFileAsync(repoDir, sha, path, cancellationToken).ConfigureAwait(false) is { } text)
                {
                    return (path, text);
                }
            }

            return null;
        }

        // the commit read is verified on the way too (the branch's head is usually it); a ResolveAsync of any of them meanwhile
        // waits for the batch's answer, and asks rev-parse itself only if the batch did not verify it
        var answers = new Dictionary<string, TaskCompletionSource<bool>>(StringComparer.Ordinal);
        foreach (var commit in ((string[])[sha, .. verify]).Where(c => GitObjects.IsObjectId(c) && !_commits.ContainsKey((repoDir, c))).Distinct(StringComparer.Ordinal))
        {
            var answer = answers[commit] = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _batchVerifying.TryAdd((repoDir, commit), answer.Task);
        }

        try
        {
            return await ShowFirstFileInOneBatchAsync(repoDir, sha, paths, answers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (commit, answer) in answers)
            {
                answer.TrySetResult(false); // not reached (the read failed first): not verified here
                _batchVerifying.TryRemove(new KeyValuePair<(string, string), Task<bool>>((repoDir, commit), answer.Task));
            }
        }
    }

    private async Task<(string Path, string Text)?> ShowFirstFileInOneBatchAsync(string repoDir, string sha, IReadOnlyList<string> paths, Dictionary<string, TaskCompletionSource<bool>> verify, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        var objects = await GitObjects.StartAsync(repoDir, inherited, timeout.Token).ConfigureAwait(false);
        await using (objects.ConfigureAwait(false))
        {
            foreach (var (other, answer) in verify.Where(v => v.Key != sha))
            {
                // the id only: a commit's message is not read into memory just to learn that it is one
                var verified = await objects.ReadIdAsync(other + "^{commit}", timeout.Token).ConfigureAwait(false) == other;
                if (verified)
                {
                    _commits[(repoDir, other)] = true;
                }

                answer.TrySetResult(verified);
            }

            var commit = await objects.ReadAsync(sha + "^{commit}", timeout.Token).ConfigureAwait(false)
                ?? throw new UsageException($"'{sha}' is not a commit in {repoDir}; pass an existing branch, tag or SHA (fetch it first if it is remote)");
            if (commit.Id == sha)
            {
                _commits[(repoDir, sha)] = true;
            }

            if (verify.TryGetValue(sha, out var read))
            {
                read.TrySetResult(commit.Id == sha);
            }

            var root = System.Text.Encoding.ASCII.GetString(commit.Content, 0, Math.Min(commit.Content.Length, 5 + 64 + 1)).Split('\n')[0];
            if (!root.StartsWith("tree ", StringComparison.Ordinal) || !GitObjects.IsObjectId(root[5..]))
            {
                throw new UsageException($"git cat-file gave a commit {sha[..7]} without a tree; check the repository with `git fsck`");
            }

            var trees = new Dictionary<string, GitObject?>(StringComparer.Ordinal) { [""] = await ReadTreeAsync(objects, root[5..], sha, "", timeout.Token).ConfigureAwait(false) };
            foreach (var path in paths)
            {
                var slash = path.LastIndexOf('/');
                var tree = await TreeAsync(objects, trees, slash < 0 ? "" : path[..slash], sha, timeout.Token).ConfigureAwait(false);
                if (tree is null || GitObjects.Entry(tree, path[(slash + 1)..]) is not { } entry)
                {
                    continue;
                }

                if (!entry.Mode.StartsWith("100", StringComparison.Ordinal))
                {
                    throw new UsageException($"{path} at {sha[..7]} is not a regular file (a symlink or directory); make it a plain file");
                }

                var blob = await objects.ReadAsync(entry.Id, timeout.Token).ConfigureAwait(false);
                if (blob is not { Type: "blob" })
                {
                    throw new UsageException($"{path} at {sha[..7]} could not be read from the checkout (a partial clone missing it?); fetch the commit again");
                }

                using var reader = new StreamReader(new MemoryStream(blob.Content), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
                return (path, await reader.ReadToEndAsync(timeout.Token).ConfigureAwait(false)); // as File.ReadAllText reads what `git show` wrote
            }

            return null;
        }
    }

    /// <summary>
    /// The tree at <paramref name="dir"/> (a/b/c) under the root in <paramref name="trees"/>; null when a part of it
    /// is not a directory (so the file is not there). A directory the commit has but git cannot read is an error,
    /// never "no file": the trusted config must not silently become the defaults (as `git ls-tree` failed before).
    /// </summary>
    private static async Task<GitObject?> TreeAsync(GitObjects objects, Dictionary<string, GitObject?> trees, string dir, string sha, CancellationToken cancellationToken)
    {
        if (trees.TryGetValue(dir, out var known))
        {
            return known;
        }

        var slash = dir.LastIndexOf('/');
        var parent = await TreeAsync(objects, trees, slash < 0 ? "" : dir[..slash], sha, cancellationToken).ConfigureAwait(false);
        GitObject? tree = null;
        if (parent is not null && GitObjects.Entry(parent, dir[(slash + 1)..]) is { } entry && IsDirectory(entry.Mode))
        {
            tree = await ReadTreeAsync(objects, entry.Id, sha, dir, cancellationToken).ConfigureAwait(false);
        }

        return trees[dir] = tree;
    }

    private static async Task<GitObject> ReadTreeAsync(GitObjects objects, string id, string sha, string dir, CancellationToken cancellationToken) =>
        await objects.ReadAsync(id, cancellationToken).ConfigureAwait(false) is { Type: "tree" } found ? found
        : throw new UsageException($"the tree of {(dir.Length == 0 ? "the root" : dir)} at {sha[..7]} could not be read from the checkout (a damaged or partial clone?); check it with `git fsck` or fetch the commit again");

    /// <summary>A tree entry's mode is a directory's (040000; git writes 40000, old tools padded it).</summary>
    private static bool IsDirectory(string mode) =>
        int.TryParse(mode, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
        && Convert.ToInt32(mode, 8) is var octal && (octal & 0xF000) == 0x4000;

    /// <summary>
    /// One <c>git for-each-ref</c> for every candidate, matched exactly (a ref someone pushed under a name
    /// git's short-name rules would also try never stands in for it). A ref whose object is not a commit
    /// is peeled as <c>rev-parse REF^{commit}</c> peels it.
    /// </summary>
    public async Task<string?> FirstRefAsync(string repoDir, IReadOnlyList<string> fullRefs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fullRefs);
        if (fullRefs.Count == 0)
        {
            return null;
        }

        if (fullRefs.FirstOrDefault(r => !r.StartsWith("refs/", StringComparison.Ordinal) || r.Any(c => c is '*' or '?' or '[' or '\\' or ' ' || char.IsControl(c))) is { } odd)
        {
            throw new ArgumentException($"'{odd}' is not a full ref name", nameof(fullRefs));
        }

        if (RefFiles.TryRead(repoDir, fullRefs) is { } values)
        {
            // read from the checkout's ref files (issue 19). The first that exists answers without a process when it is a
            // commit already verified, or being verified by the wave's cat-file (the event's base, usually); any other id's
            // type is git's to tell (below), and no candidate at all needs no git
            if (values.FirstOrDefault(v => v is not null) is not { } first)
            {
                return null;
            }

            if (await KnownCommitAsync(repoDir, first, cancellationToken).ConfigureAwait(false))
            {
                return first;
            }
        }

        var output = await RunAsync(repoDir, ["for-each-ref", "--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)", .. fullRefs], cancellationToken, allowFailure: true, query: true, inherited: inherited).ConfigureAwait(false);
        var found = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\0');
            if (fields.Length == 5)
            {
                found[fields[0]] = fields;
            }
        }

        foreach (var reference in fullRefs)
        {
            if (!found.TryGetValue(reference, out var fields))
            {
                continue;
            }

            if (fields[1] == "commit" && GitObjects.IsObjectId(fields[2]))
            {
                _commits[(repoDir, fields[2])] = true;
                return fields[2];
            }

            if (fields[3] == "commit" && GitObjects.IsObjectId(fields[4]))
            {
                return fields[4]; // an annotated tag's commit
            }

            try
            {
                return await ResolveAsync(repoDir, reference, cancellationToken).ConfigureAwait(false); // deeper: git's own peeling (it exists, so git takes it exactly)
            }
            catch (UsageException)
            {
                // not a commit at all (a tree or a blob): the next candidate
            }
        }

        return null;
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
        RunAsync(repoDir, ["worktree", "add", "--detach", "--force", path, sha], cancellationToken, inherited: inherited);

    public Task RemoveWorktreeAsync(string repoDir, string path, CancellationToken cancellationToken) =>
        RunAsync(repoDir, ["worktree", "remove", "--force", path], cancellationToken, allowFailure: true, inherited: inherited);

    /// <param name="query">A local question that starts no other process (no fetch, no clone): run without a session of its own (<see cref="ProcessSpec.OwnSession"/>).</param>
    /// <param name="inherited">The environment git starts from instead of this process's own; either way without what <see cref="GitEnvironment.Withheld"/> names.</param>
    /// <param name="environment">Set for this command on top of <see cref="GitEnvironment.Settings"/>, withheld names included (a secret's
    /// <see cref="GitEnvironment.Config"/>: the environment is readable only by PlanBot's user, the command line by everyone's).</param>
    public static async Task<string> RunAsync(string repoDir, string[] arguments, CancellationToken cancellationToken, bool allowFailure = false, bool query = false, IReadOnlyDictionary<string, string>? inherited = null, IReadOnlyDictionary<string, string?>? environment = null)
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
                Inherited = inherited,
                Withhold = GitEnvironment.Withheld, // git answers about repoDir, with its own configuration, and runs no program PlanBot's environment names
                Environment = environment is null ? GitEnvironment.Settings : Over(GitEnvironment.Settings, environment),
                OwnSession = !query,
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

    /// <summary><paramref name="top"/>'s values over <paramref name="bottom"/>'s.</summary>
    private static Dictionary<string, string?> Over(IReadOnlyDictionary<string, string?> bottom, IReadOnlyDictionary<string, string?> top)
    {
        var merged = new Dictionary<string, string?>(bottom, StringComparer.Ordinal);
        foreach (var (key, value) in top)
        {
            merged[key] = value;
        }

        return merged;
    }
}
