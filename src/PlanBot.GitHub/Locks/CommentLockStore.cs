using PlanBot.Core.Comments;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;

namespace PlanBot.GitHub.Locks;

/// <summary>
/// The <c>github</c> lock backend, the Action-mode default (a runner's disk is empty on every run):
/// each PR's project locks live in the hidden metadata of PlanBot's own comment on it (only its
/// <c>locks</c> section is ours; damaged metadata reads as no locks), and the locks held are read back
/// from the repository's open PRs (expired ones ignored). A closed PR's locks vanish with it.
/// Best-effort: two runs deciding at the same instant can both win (there is no compare-and-swap on
/// comments); <c>dynamodb</c> or <c>azure</c> give strict locks. Run locks are not kept here
/// (Actions <c>concurrency</c> groups serialize a PR's runs): they are always granted.
/// GitHub calls are the cost (each 100–300 ms, and the installation's API budget), so: one read of
/// the other PRs' locks answers a run's acquisitions for <see cref="SnapshotFor"/> (started early by
/// <see cref="Prefetch"/>, its comment lists read <see cref="ReadsAtOnce"/> at a time), and the
/// changes to the PR's own comment that queue behind a write go out together in one edit
/// (<see cref="LockCommentWriter"/>).
/// </summary>
public sealed class CommentLockStore(IVcs vcs, TimeProvider time) : ILockStore, IApprovalStore
{
    /// <summary>How long one read of the other PRs' locks answers further acquisitions: a run's projects planned side by side share it.</summary>
    public static readonly TimeSpan SnapshotFor = TimeSpan.FromSeconds(10);

    /// <summary>How many PRs' comment lists one read of the locks fetches at once: far from GitHub's concurrency limit, and a 40-PR repository reads in 5 round trips instead of 40.</summary>
    public const int ReadsAtOnce = 8;

    private readonly LockCommentWriter _own = new(vcs);
    private readonly Lock _snapshotGate = new();
    private (string Repo, int PullRequest, DateTimeOffset Taken, Task<List<LockRecord>> Locks)? _snapshot;

    /// <summary>Lock changes waiting for the next write of a PR comment (tests: what the next edit will carry).</summary>
    internal int QueuedWrites => _own.Queued;

    /// <summary>Completes once at least <paramref name="count"/> lock changes wait for the next write (tests: instead of polling <see cref="QueuedWrites"/>).</summary>
    internal Task QueuedWritesReach(int count) => _own.QueuedAtLeast(count);

    /// <summary>The shared read of the other PRs' locks, if one was started (tests: wait for a prefetch without observing it).</summary>
    internal Task? SnapshotRead
    {
        get
        {
            lock (_snapshotGate)
            {
                return _snapshot?.Locks;
            }
        }
    }

    /// <summary>A run lease is answered at once and stored nowhere (<see cref="AcquireAsync"/>).</summary>
    public bool StoresRunLeases => false;

    public async Task<LockResult> AcquireAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (key.Kind == LockKind.Run)
        {
            return new LockResult.Acquired(new LockRecord(key, owner, now, now + ttl));
        }

        if (await HeldByOtherAsync(key, owner, cancellationToken).ConfigureAwait(false) is { } held)
        {
            return new LockResult.HeldBy(held.Owner, held.Since, held.Expires);
        }

        return await _own.ApplyAsync(key.Repo, owner, locks =>
        {
            var mine = locks.FirstOrDefault(l => Matches(l, key));
            var since = mine is not null && mine.Expires > now.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(mine.Since) : now;
            var entry = new MetaLock(key.Dir, key.Workspace, since.ToUnixTimeMilliseconds(), (now + ttl).ToUnixTimeMilliseconds(), owner.User, owner.HeadSha, owner.RunId);
            return ([.. locks.Where(l => !Matches(l, key)), entry], new LockResult.Acquired(new LockRecord(key, owner, since, now + ttl)));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the read of the other open PRs' locks the owner's acquisitions will share (unless a fresh one is under way).</summary>
    public void Prefetch(LockOwner owner) => _ = Snapshot(owner.Repo, owner.PullRequest);

    /// <summary>
    /// The shared read of the locks on the repository's open PRs other than <paramref name="pullRequest"/>,
    /// started when there is none for this PR younger than <see cref="SnapshotFor"/> (or the last failed).
    /// </summary>
    private Task<List<LockRecord>> Snapshot(string repo, int pullRequest)
    {
        lock (_snapshotGate)
        {
            var now = time.GetUtcNow();
            if (_snapshot is not { } s || s.Repo != repo || s.PullRequest != pullRequest || now - s.Taken > SnapshotFor || s.Locks.IsFaulted || s.Locks.IsCanceled)
            {
                _snapshot = s = (repo, pullRequest, now, Core.Common.Background.Observed(ReadAllAsync(repo, pullRequest, CancellationToken.None)));
            }

            return s.Locks;
        }
    }

    /// <summary>
    /// Another open PR's live lock on the key. Answered from one read of the open PRs shared for
    /// <see cref="SnapshotFor"/> (a read costs a list of open PRs plus a comment list per other PR); a
    /// lock the snapshot shows is confirmed by a fresh read, since the PR may have closed since.
    /// </summary>
    private async Task<LockRecord?> HeldByOtherAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken)
    {
        LockRecord? Other(IEnumerable<LockRecord> locks) =>
            locks.FirstOrDefault(l => l.Key == key && l.Owner.PullRequest != owner.PullRequest && l.Expires > time.GetUtcNow());
        var seen = Snapshot(key.Repo, owner.PullRequest);
        if (Other(await seen.WaitAsync(cancellationToken).ConfigureAwait(false)) is null)
        {
            return null;
        }

        Task<List<LockRecord>> fresh;
        lock (_snapshotGate)
        {
            if (_snapshot is { } current && current.Repo == key.Repo && current.PullRequest == owner.PullRequest && current.Locks != seen && !current.Locks.IsFaulted && !current.Locks.IsCanceled)
            {
                // a read started after the one this caller saw confirms for it too: a run asking all its locks at
                // once, with several held by other PRs, confirms them with one read, not one read per project
                fresh = current.Locks;
            }
            else
            {
                // shared as the next snapshot, so not cancelled with this caller: the others waiting on it would fail with it
                fresh = Core.Common.Background.Observed(ReadAllAsync(key.Repo, owner.PullRequest, CancellationToken.None));
                _snapshot = (key.Repo, owner.PullRequest, time.GetUtcNow(), fresh);
            }
        }

        return Other(await fresh.WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task<LockResult> ReleaseAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken)
    {
        if (key.Kind == LockKind.Run)
        {
            return new LockResult.Released();
        }

        var held = (await HeldAsync(key.Repo, cancellationToken).ConfigureAwait(false)).FirstOrDefault(l => l.Key == key);
        if (LockOwnership.Refuses(held, key, owner, time.GetUtcNow(), out var refused))
        {
            return refused;
        }

        return await _own.ApplyAsync(key.Repo, owner, locks => ([.. locks.Where(l => !Matches(l, key))], new LockResult.Released()), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Approvals stay in PlanBot's PR comment, where the approval workflows read and re-verify them on every run.</summary>
    public bool KeepsApprovals => false;

    public Task<LockResult> UpdateApprovalsAsync(LockKey key, LockOwner owner, Func<string?, string?> update, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the github lock backend keeps approvals in PlanBot's PR comment, not in its lock records (KeepsApprovals is false)");

    public async Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken) =>
        repo is null ? throw new ArgumentException("the github lock backend lists one repository's locks; pass the repository", nameof(repo))
            : [.. (await HeldAsync(repo, cancellationToken).ConfigureAwait(false)).OrderBy(l => l.Key.Id, StringComparer.Ordinal)];

    /// <summary>The live project locks recorded on the repository's open PRs.</summary>
    private async Task<List<LockRecord>> HeldAsync(string repo, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return [.. (await ReadAllAsync(repo, null, cancellationToken).ConfigureAwait(false)).Where(l => l.Expires > now)];
    }

    /// <summary>
    /// Every project lock recorded on the repository's open PRs but <paramref name="except"/> (whose own
    /// locks an acquisition never waits for), expired ones included; the PRs' comment lists are read
    /// <see cref="ReadsAtOnce"/> at a time, the result in the order GitHub lists the PRs.
    /// </summary>
    private async Task<List<LockRecord>> ReadAllAsync(string repo, int? except, CancellationToken cancellationToken)
    {
        var open = (await vcs.ListOpenPullRequestsAsync(repo, cancellationToken).ConfigureAwait(false)).Where(pr => pr.Number != except).ToArray();
        var locks = new MetaLock[open.Length][];
        await Parallel.ForEachAsync(Enumerable.Range(0, open.Length), new ParallelOptions { MaxDegreeOfParallelism = ReadsAtOnce, CancellationToken = cancellationToken }, async (i, ct) =>
            locks[i] = Meta(await vcs.ListCommentsAsync(repo, open[i].Number, ct).ConfigureAwait(false)).Locks).ConfigureAwait(false);
        return [.. open.SelectMany((pr, i) => locks[i].Select(l => new LockRecord(
            new LockKey(LockKind.Project, repo, l.Dir, l.Workspace),
            new LockOwner(repo, pr.Number, l.Head, l.User, l.Run),
            DateTimeOffset.FromUnixTimeMilliseconds(l.Since),
            DateTimeOffset.FromUnixTimeMilliseconds(l.Expires))))];
    }

    /// <summary>PlanBot's part-1 comment on a PR and the locks section of its metadata.</summary>
    internal static (IssueComment? Comment, MetaLock[] Locks) Meta(IReadOnlyList<IssueComment> comments)
    {
        var first = PlanCommentWriter.FirstPart(comments);
        try
        {
            var locks = MetaSections.Get(first is null ? null : PlanCommentMeta.Read(first.Body), "locks")?.Deserialize(MetaJsonContext.Default.MetaLockArray) ?? [];
            // an entry edited into null or missing a field is no lock (and the next write drops it)
            return (first, [.. locks.Where(l => l is { Dir: not null, Workspace: not null, User: not null, Head: not null, Run: not null })]);
        }
        catch (JsonException)
        {
            return (first, []); // damaged by an edit: no locks rather than a crash
        }
    }

    private static bool Matches(MetaLock l, LockKey key) => l.Dir == key.Dir && l.Workspace == key.Workspace;
}

internal sealed record MetaLock(string Dir, string Workspace, long Since, long Expires, string User, string Head, string Run);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MetaLock[]))]
internal sealed partial class MetaJsonContext : JsonSerializerContext;
