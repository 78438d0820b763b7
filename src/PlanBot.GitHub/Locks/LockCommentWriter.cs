using System.Text.Json;
using PlanBot.Core.Comments;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;

namespace PlanBot.GitHub.Locks;

/// <summary>
/// Writes the lock changes of the <c>github</c> backend into PlanBot's comment on a PR, as a group
/// commit. The comment is one record, so its read-modify-write must not interleave (one project's
/// lock would overwrite another's); rather than each change waiting its turn for a read and an edit
/// of its own, the changes that queue while a write is in flight are applied together by the next
/// one: one comment read and at most one edit for the lot (per PR), and each caller gets the result
/// of its own change. A failed read or edit fails every change of its batch, so nobody is told a lock
/// is taken that was not written.
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
    private List<Pending> _queue = [];
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

    /// <summary>Writes batch after batch until nothing is queued; never throws (every change is answered by <see cref="WriteAsync"/>).</summary>
    private async Task WriteQueuedAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return;
                }

                batch = _queue;
                _queue = [];
            }

            foreach (var one in batch.GroupBy(p => (p.Repo, p.Owner.PullRequest)))
            {
                Pending[] changes = [.. one];
                try
                {
                    await WriteAsync(changes).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // a bug here must fail this batch's callers, not leave _writing set and every later caller hanging
                catch (Exception e)
#pragma warning restore CA1031
                {
                    foreach (var change in changes)
                    {
                        change.Done.TrySetException(e);
                    }
                }
            }
        }
    }

    /// <summary>One PR's batch: one read of its comments, the changes in the order they came, one save.</summary>
    private async Task WriteAsync(Pending[] batch)
    {
        foreach (var gone in batch.Where(p => p.Cancellation.IsCancellationRequested))
        {
            gone.Done.TrySetCanceled(gone.Cancellation);
        }

        var live = batch.Where(p => !p.Cancellation.IsCancellationRequested).ToArray();
        if (live.Length == 0)
        {
            return;
        }

        using var cancel = new AllCancelled(live.Select(p => p.Cancellation));
        try
        {
            var (repo, owner) = (live[0].Repo, live[0].Owner);
            var (comment, locks) = CommentLockStore.Meta(await vcs.ListCommentsAsync(repo, owner.PullRequest, cancel.Token).ConfigureAwait(false));
            var results = new LockResult[live.Length];
            for (var i = 0; i < live.Length; i++)
            {
                (locks, results[i]) = live[i].Change(locks);
            }

            await SaveAsync(repo, owner, comment, locks, cancel.Token).ConfigureAwait(false);
            for (var i = 0; i < live.Length; i++)
            {
                live[i].Done.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var p in live)
            {
                _ = e is OperationCanceledException && cancel.Token.IsCancellationRequested ? p.Done.TrySetCanceled(cancel.Token) : p.Done.TrySetException(e);
                _ = p.Done.Task.Exception; // observed here: a caller that stopped waiting leaves no unobserved exception behind
            }
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
