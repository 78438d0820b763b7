using System.Text.Json;
using PlanBot.Core.Comments;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;

namespace PlanBot.GitHub.Locks;

/// <summary>
/// Writes the lock changes of the <c>github</c> backend into PlanBot's comment on a PR, as a group
/// commit. The comment is one record, so its read-modify-write must not interleave (one project's
/// lock would overwrite another's); rather than each change waiting its turn for a read and an edit
/// of its own, the changes of one PR are applied together: one comment read and at most one edit for
/// the lot, and each caller gets the result of its own change. A batch is sealed when its read
/// returns, not when it starts, so the changes that arrive while the comment is being read join it
/// (a run asks for all its project locks at once, and they reach the writer a few microseconds
/// apart: sealed at the start, the first lock went alone and the rest waited for a second read and
/// edit, ~12 ms before the first terraform on loopback, a round trip or two on GitHub). Changes that
/// arrive during the edit wait for the next batch. A failed read fails the changes that were waiting
/// for it, a failed edit every change of its batch, so nobody is told a lock is taken that was not written.
/// </summary>
internal sealed class LockCommentWriter(IVcs vcs)
{
    /// <summary>One caller's change: the PR's lock list after it, and what its caller is answered.</summary>
    internal delegate (MetaLock[] Locks, LockResult Result) Change(MetaLock[] locks);

    private sealed record Pending(string Repo, LockOwner Owner, Change Change, CancellationToken Cancellation)
    {
        public TaskCompletionSource<LockResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Lock _gate = new();
    private readonly List<Pending> _queue = [];
    private bool _writing;
    private List<(int Count, TaskCompletionSource Reached)>? _waiters;

    /// <summary>The changes waiting behind the write in flight: the next batch.</summary>
    internal int Queued
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// Completes once at least <paramref name="count"/> changes wait behind the write in flight (tests: a signal,
    /// not a poll of <see cref="Queued"/>, for "every caller started meanwhile has queued").
    /// </summary>
    internal Task QueuedAtLeast(int count)
    {
        lock (_gate)
        {
            if (_queue.Count >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (_waiters ??= []).Add((count, reached));
            return reached.Task;
        }
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the locks in the comment of <paramref name="owner"/>'s PR.
    /// A caller that cancels stops waiting; its change is dropped unless its batch is already being
    /// written (then it lands, as a cancelled single edit in flight would).
    /// </summary>
    public Task<LockResult> ApplyAsync(string repo, LockOwner owner, Change change, CancellationToken cancellationToken)
    {
        var pending = new Pending(repo, owner, change, cancellationToken);
        bool start;
        lock (_gate)
        {
            _queue.Add(pending);
            start = !_writing;
            _writing = true;
            if (_waiters is { Count: > 0 } waiters)
            {
                foreach (var waiter in waiters.Where(w => w.Count <= _queue.Count).ToArray())
                {
                    waiters.Remove(waiter);
                    waiter.Reached.TrySetResult();
                }
            }
        }

        if (start)
        {
            // on the thread pool, not the caller's stack: the projects starting beside this one queue meanwhile
            _ = Task.Run(WriteQueuedAsync, CancellationToken.None);
        }

        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes batch after batch, one PR at a time, until nothing is queued; never throws (every change is answered by <see cref="WriteAsync"/>).</summary>
    private async Task WriteQueuedAsync()
    {
        while (true)
        {
            (string Repo, int PullRequest) pr;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return;
                }

                pr = (_queue[0].Repo, _queue[0].Owner.PullRequest);
            }

            var taken = new List<Pending>();
            try
            {
                await WriteAsync(pr, taken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // a bug here must fail this batch's callers, not leave _writing set and every later caller hanging
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var change in taken)
                {
                    change.Done.TrySetException(e);
                    _ = change.Done.Task.Exception; // observed: a caller that stopped waiting leaves no unobserved exception behind
                }
            }
        }
    }

    /// <summary>The queued changes of <paramref name="pr"/>, in the order they came, out of the queue and into <paramref name="taken"/>; the cancelled ones answered as such.</summary>
    private Pending[] Take((string Repo, int PullRequest) pr, List<Pending> taken)
    {
        Pending[] mine;
        lock (_gate)
        {
            mine = [.. _queue.Where(p => (p.Repo, p.Owner.PullRequest) == pr)];
            _queue.RemoveAll(p => (p.Repo, p.Owner.PullRequest) == pr);
            taken.AddRange(mine);
        }

        foreach (var gone in mine.Where(p => p.Cancellation.IsCancellationRequested))
        {
            gone.Done.TrySetCanceled(gone.Cancellation);
        }

        return [.. mine.Where(p => !p.Cancellation.IsCancellationRequested)];
    }

    /// <summary>One PR's batch: one read of its comments, the changes queued until it returns applied in the order they came, one save.</summary>
    private async Task WriteAsync((string Repo, int PullRequest) pr, List<Pending> taken)
    {
        var live = Take(pr, taken);
        if (live.Length == 0)
        {
            return;
        }

        IReadOnlyList<IssueComment> comments;
        using (var reading = new AllCancelled(live.Select(p => p.Cancellation)))
        {
            try
            {
                comments = await vcs.ListCommentsAsync(pr.Repo, pr.PullRequest, reading.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Fail(live, e, reading.Token);
                return;
            }
        }

        // sealed now: what queued for this PR while its comment was read goes in the same edit
        live = [.. live, .. Take(pr, taken)];
        using var cancel = new AllCancelled(live.Select(p => p.Cancellation));
        try
        {
            var (comment, locks) = CommentLockStore.Meta(comments);
            var results = new LockResult[live.Length];
            for (var i = 0; i < live.Length; i++)
            {
                (locks, results[i]) = live[i].Change(locks);
            }

            await SaveAsync(pr.Repo, live[0].Owner, comment, locks, cancel.Token).ConfigureAwait(false);
            for (var i = 0; i < live.Length; i++)
            {
                live[i].Done.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            Fail(live, e, cancel.Token);
        }
    }

    private static void Fail(IEnumerable<Pending> batch, Exception e, CancellationToken cancelled)
    {
        foreach (var p in batch)
        {
            _ = e is OperationCanceledException && cancelled.IsCancellationRequested ? p.Done.TrySetCanceled(cancelled) : p.Done.TrySetException(e);
            _ = p.Done.Task.Exception; // observed here: a caller that stopped waiting leaves no unobserved exception behind
        }
    }

    private async Task SaveAsync(string repo, LockOwner owner, IssueComment? comment, MetaLock[] locks, CancellationToken cancellationToken)
    {
        // only the locks section is ours: the plan and approvals sections of the metadata stay as they are
        var json = MetaSections.Set(comment is null ? null : PlanCommentMeta.Read(comment.Body), "locks", JsonSerializer.SerializeToNode(locks, MetaJsonContext.Default.MetaLockArray));
        if (comment is null)
        {
            await vcs.CreateCommentAsync(repo, owner.PullRequest, PlanCommentMeta.With(PlanCommentMeta.Placeholder(owner.HeadSha), json), cancellationToken).ConfigureAwait(false);
        }
        else if (PlanCommentMeta.Read(comment.Body) != json)
        {
            await vcs.UpdateCommentAsync(repo, comment.Id, PlanCommentMeta.With(comment.Body, json), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Cancelled once every caller of a batch has cancelled: one caller giving up does not fail the others' write.</summary>
    private sealed class AllCancelled : IDisposable
    {
        private readonly CancellationTokenSource _source = new();
        private readonly List<CancellationTokenRegistration> _registrations = [];
        private int _left;

        public AllCancelled(IEnumerable<CancellationToken> tokens)
        {
            var all = tokens.ToArray();
            _left = all.Length;
            foreach (var token in all)
            {
                _registrations.Add(token.Register(() =>
                {
                    if (Interlocked.Decrement(ref _left) == 0)
                    {
                        _source.Cancel();
                    }
                }));
            }
        }

        public CancellationToken Token => _source.Token;

        public void Dispose()
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose(); // waits for a callback in flight, so the source is not cancelled after its disposal
            }

            _source.Dispose();
        }
    }
}
