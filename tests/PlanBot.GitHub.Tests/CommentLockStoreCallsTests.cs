using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using PlanBot.Core.Ports;
using PlanBot.GitHub.Locks;
using PlanBot.Testing;

namespace PlanBot.GitHub.Tests;

/// <summary>
/// What the github lock backend costs in GitHub calls, against the fake GitHub: a run's lock changes
/// queued behind a comment edit go out in one edit, the other PRs' comments are read several at a
/// time, and a prefetch is the read the acquisitions then use.
/// </summary>
public sealed class CommentLockStoreCallsTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private FakeGitHub _github = null!;

    public async Task InitializeAsync() => _github = await CommentLockStoreTests.WithOpenPullsAsync();

    public async Task DisposeAsync() => await _github.DisposeAsync();

    private CommentLockStore Store() => new(CommentLockStoreTests.Client(_github), _clock);

    private static LockKey Key(string dir, string repo = "acme/infra") => new(LockKind.Project, repo, dir, "default");

    private static LockOwner Pr(int number, string repo = "acme/infra") => new(repo, number, $"head{number}", "alice", "run-1");

    private int Count(string prefix) => _github.Calls.Count(c => c.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public async Task Acquisitions_queued_behind_a_comment_edit_go_out_together_in_one_edit_and_each_caller_gets_its_own_answer()
    {
        const int queued = 11;
        var store = Store();
        var renewed = (await store.AcquireAsync(Key("envs/renewed"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        (await Store().AcquireAsync(Key("envs/theirs"), Pr(8), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        _clock.Advance(TimeSpan.FromHours(1));
        _github.Calls.Clear();

        // the first edit is held at GitHub: the acquisitions that come meanwhile queue behind it
        var hold = _github.HoldNextEdit(_ => true);
        var first = store.AcquireAsync(Key("envs/p0"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        await hold.Reached.Task.WaitAsync(Patience);
        var keys = Enumerable.Range(1, queued - 1).Select(i => Key($"envs/p{i}")).Append(Key("envs/renewed")).ToArray();
        var rest = keys.Select(k => store.AcquireAsync(k, Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ToArray();
        store.QueuedWrites.ShouldBe(queued, "every acquisition started while the first edit is in flight waits for the next write");
        var theirs = store.AcquireAsync(Key("envs/theirs"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        hold.Released.SetResult();

        (await first.WaitAsync(Patience)).ShouldBeOfType<LockResult.Acquired>().Lock.Key.ShouldBe(Key("envs/p0"));
        var results = await Task.WhenAll(rest).WaitAsync(Patience);
        for (var i = 0; i < keys.Length; i++)
        {
            var got = results[i].ShouldBeOfType<LockResult.Acquired>().Lock;
            got.Key.ShouldBe(keys[i]);
            got.Owner.ShouldBe(Pr(7));
            got.Since.ShouldBe(keys[i] == Key("envs/renewed") ? renewed.Lock.Since : _clock.GetUtcNow(), "a renewal keeps its Since, a new lock starts now");
        }

        (await theirs.WaitAsync(Patience)).ShouldBeOfType<LockResult.HeldBy>().Owner.PullRequest.ShouldBe(8, "another open PR's lock still stops the caller wanting it");
        Count("PATCH /repos/acme/infra/issues/comments/").ShouldBe(2, "the first acquisition's edit, then one edit for the eleven queued behind it");
        Count("GET /repos/acme/infra/issues/7/comments").ShouldBe(2, "one read of the PR's comment per edit");
        var held = await Store().ListAsync("acme/infra", CancellationToken.None);
        held.Where(l => l.Owner.PullRequest == 7).Select(l => l.Key.Dir)
            .ShouldBe([.. Enumerable.Range(0, queued).Select(i => $"envs/p{i}"), "envs/renewed"], ignoreOrder: true);
    }

    /// <summary>
    /// PR 7's next comment read held at GitHub: "envs/p0" is asked and reaches that read, then
    /// <paramref name="more"/> acquisitions (envs/p1…) queue meanwhile; the read goes on once Release is set.
    /// </summary>
    private async Task<(Task<LockResult> First, Task<LockResult>[] Others, TaskCompletionSource Release)> QueueWhileTheCommentIsReadAsync(CommentLockStore store, int more)
    {
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        _github.BeforeAnswer = async call =>
        {
            if (call.StartsWith("GET /repos/acme/infra/issues/7/comments", StringComparison.Ordinal) && Interlocked.Exchange(ref held, 1) == 0)
            {
                reading.SetResult();
                await release.Task;
            }
        };

        var first = store.AcquireAsync(Key("envs/p0"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        await reading.Task.WaitAsync(Patience);
        var rest = Enumerable.Range(1, more).Select(i => store.AcquireAsync(Key($"envs/p{i}"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ToArray();
        await Task.WhenAny(store.QueuedWritesReach(rest.Length), Task.WhenAny(rest)).WaitAsync(Patience);
        return (first, rest, release);
    }

    /// <summary>A run's locks reach the writer microseconds apart: those that come while the PR's comment is read join that read's edit.</summary>
    [Fact]
    public async Task Acquisitions_that_arrive_while_the_comment_is_read_join_its_edit()
    {
        var store = Store();
        (await store.AcquireAsync(Key("envs/before"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        _github.Calls.Clear();
        var (first, rest, release) = await QueueWhileTheCommentIsReadAsync(store, 5);
        store.QueuedWrites.ShouldBe(rest.Length, "queued while the first one's read is in flight");
        release.SetResult();

        (await first.WaitAsync(Patience)).ShouldBeOfType<LockResult.Acquired>();
        (await Task.WhenAll(rest).WaitAsync(Patience)).ShouldAllBe(r => r is LockResult.Acquired);
        Count("GET /repos/acme/infra/issues/7/comments").ShouldBe(1, "one read of the PR's comment");
        Count("PATCH /repos/acme/infra/issues/comments/").ShouldBe(1, "the six locks in one edit");
        _github.BeforeAnswer = null;
        (await Store().ListAsync("acme/infra", CancellationToken.None)).Where(l => l.Owner.PullRequest == 7).Select(l => l.Key.Dir)
            .ShouldBe(["envs/before", .. Enumerable.Range(0, 6).Select(i => $"envs/p{i}")], ignoreOrder: true);
    }

    /// <summary>A failed comment read fails the changes that were waiting for it; those that came during it get a read of their own.</summary>
    [Fact]
    public async Task A_failed_comment_read_fails_only_what_waited_for_it_and_what_came_meanwhile_is_written_by_the_next_read()
    {
        var store = Store();
        (await store.AcquireAsync(Key("envs/before"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        var (first, rest, release) = await QueueWhileTheCommentIsReadAsync(store, 3);
        store.QueuedWrites.ShouldBe(rest.Length);
        _github.FailNext(1, 422, where: call => call.StartsWith("GET /repos/acme/infra/issues/7/comments", StringComparison.Ordinal));
        release.SetResult();

        (await Should.ThrowAsync<VcsException>(first.WaitAsync(Patience))).Message.ShouldContain("HTTP 422");
        (await Task.WhenAll(rest).WaitAsync(Patience)).ShouldAllBe(r => r is LockResult.Acquired);
        _github.BeforeAnswer = null;
        (await Store().ListAsync("acme/infra", CancellationToken.None)).Where(l => l.Owner.PullRequest == 7).Select(l => l.Key.Dir)
            .ShouldBe(["envs/before", "envs/p1", "envs/p2", "envs/p3"], ignoreOrder: true);
    }

    [Fact]
    public async Task A_failed_shared_edit_fails_every_acquisition_of_its_batch_and_none_is_told_acquired()
    {
        var store = Store();
        (await store.AcquireAsync(Key("envs/before"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        var hold = _github.HoldNextEdit(_ => true);
        var first = store.AcquireAsync(Key("envs/p0"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        await hold.Reached.Task.WaitAsync(Patience);
        var batch = Enumerable.Range(1, 5).Select(i => store.AcquireAsync(Key($"envs/p{i}"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ToArray();
        store.QueuedWrites.ShouldBe(5);
        _github.FailNext(1, 422, where: call => call.StartsWith("PATCH ", StringComparison.Ordinal));
        hold.Released.SetResult();

        (await first.WaitAsync(Patience)).ShouldBeOfType<LockResult.Acquired>();
        foreach (var one in batch)
        {
            (await Should.ThrowAsync<VcsException>(one.WaitAsync(Patience))).Message.ShouldContain("HTTP 422");
        }

        (await Store().ListAsync("acme/infra", CancellationToken.None)).Select(l => l.Key.Dir).ShouldBe(["envs/before", "envs/p0"], ignoreOrder: true);

        // the store is not stuck: the next acquisition writes again
        (await store.AcquireAsync(Key("envs/p1"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
    }

    [Fact]
    public async Task Releases_queued_behind_an_edit_share_it_too()
    {
        var store = Store();
        var dirs = Enumerable.Range(0, 6).Select(i => $"envs/p{i}").ToArray();
        foreach (var dir in dirs)
        {
            await store.AcquireAsync(Key(dir), Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        }

        var hold = _github.HoldNextEdit(_ => true);
        var first = store.ReleaseAsync(Key(dirs[0]), Pr(7), CancellationToken.None);
        await hold.Reached.Task.WaitAsync(Patience);
        _github.Calls.Clear();
        var rest = dirs.Skip(1).Select(d => store.ReleaseAsync(Key(d), Pr(7), CancellationToken.None)).ToArray();
        // a release first reads the locks held (its own read, not shared): wait until all five queued, or one
        // answered without queuing (then the count below says so at once rather than after the patience)
        await Task.WhenAny(store.QueuedWritesReach(rest.Length), Task.WhenAny(rest)).WaitAsync(Patience);
        store.QueuedWrites.ShouldBe(rest.Length);
        hold.Released.SetResult();
        (await first.WaitAsync(Patience)).ShouldBeOfType<LockResult.Released>();
        (await Task.WhenAll(rest).WaitAsync(Patience)).ShouldAllBe(r => r is LockResult.Released);
        (await Store().ListAsync("acme/infra", CancellationToken.None)).ShouldBeEmpty();
        Count("PATCH /repos/acme/infra/issues/comments/").ShouldBe(1, "five releases, one edit");
    }

    [Fact]
    public async Task The_other_prs_comments_are_read_eight_at_a_time_and_give_the_locks_a_one_by_one_read_gave()
    {
        // PRs 1..12 each hold a lock; PR 5 closed, so its lock is gone
        for (var pr = 1; pr <= 12; pr++)
        {
            (await Store().AcquireAsync(Key($"envs/p{pr}"), Pr(pr), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        }

        _github.Pulls[5]["state"] = "closed";
        _github.Calls.Clear();

        // each comment list is held until eight are in flight: a read one after another would never get there
        var inFlight = 0;
        var most = 0;
        var eight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _github.BeforeAnswer = async call =>
        {
            if (!call.StartsWith("GET /repos/acme/infra/issues/", StringComparison.Ordinal))
            {
                return;
            }

            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            if (now >= CommentLockStore.ReadsAtOnce)
            {
                eight.TrySetResult();
            }

            await eight.Task.WaitAsync(Patience);
            Interlocked.Decrement(ref inFlight);
        };

        var listed = await Store().ListAsync("acme/infra", CancellationToken.None).WaitAsync(Patience);
        most.ShouldBe(CommentLockStore.ReadsAtOnce, "eight comment lists at once, never more");
        Count("GET /repos/acme/infra/issues/").ShouldBe(39, "one comment list per open PR");
        listed.Select(l => (l.Owner.PullRequest, l.Key.Dir)).ShouldBe([.. Enumerable.Range(1, 12).Where(pr => pr != 5).Select(pr => (pr, $"envs/p{pr}"))], ignoreOrder: true);

        // an acquisition sees each of them held, and PR 5's project free
        _github.BeforeAnswer = null;
        var store = Store();
        (await store.AcquireAsync(Key("envs/p9"), Pr(30), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.HeldBy>().Owner.PullRequest.ShouldBe(9);
        (await store.AcquireAsync(Key("envs/p5"), Pr(30), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
    }

    [Fact]
    public async Task A_prefetch_is_the_read_the_acquisitions_then_use()
    {
        var store = Store();
        _github.Calls.Clear();
        var listed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _github.BeforeAnswer = call =>
        {
            if (call.StartsWith("GET /repos/acme/infra/pulls?", StringComparison.Ordinal))
            {
                listed.TrySetResult();
            }

            return Task.CompletedTask;
        };
        ((ILockStore)store).Prefetch(Pr(7));
        await listed.Task.WaitAsync(Patience); // the prefetch itself asked, before any acquisition
        _github.BeforeAnswer = null;
        var dirs = Enumerable.Range(0, 4).Select(i => $"envs/p{i}").ToArray();
        var results = await Task.WhenAll(dirs.Select(d => store.AcquireAsync(Key(d), Pr(7), TimeSpan.FromDays(7), CancellationToken.None))).WaitAsync(Patience);

        results.ShouldAllBe(r => r is LockResult.Acquired);
        Count("GET /repos/acme/infra/pulls?").ShouldBe(1, "the prefetched list of open PRs, no second one");
        Count("GET /repos/acme/infra/issues/8/comments").ShouldBe(1, "each other PR's comments read once");
        _github.Calls.Count(c => c.StartsWith("GET /repos/acme/infra/issues/", StringComparison.Ordinal) && !c.Contains("/issues/7/", StringComparison.Ordinal))
            .ShouldBe(39);

        // a second prefetch within the snapshot's life starts nothing
        store.Prefetch(Pr(7));
        Count("GET /repos/acme/infra/pulls?").ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_prefetch_is_reported_by_the_acquisition_as_without_it()
    {
        _github.FailNext(1, 422, where: call => call.StartsWith("GET /repos/acme/infra/pulls?", StringComparison.Ordinal));
        var without = await Should.ThrowAsync<VcsException>(Store().AcquireAsync(Key("envs/p0"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None));

        // enough failures for the prefetched read and, when it failed before the acquisition came, its read again
        _github.FailNext(2, 422, where: call => call.StartsWith("GET /repos/acme/infra/pulls?", StringComparison.Ordinal));
        var store = Store();
        store.Prefetch(Pr(7));
        var with = await Should.ThrowAsync<VcsException>(store.AcquireAsync(Key("envs/p0"), Pr(7), TimeSpan.FromDays(7), CancellationToken.None));
        with.Message.ShouldBe(without.Message);
        _github.CommentsOn(7).ShouldBeEmpty("nothing written when the read failed");
    }

    [Fact]
    public async Task A_prefetch_whose_read_fails_and_is_never_used_leaves_no_unobserved_task_exception()
    {
        const string repo = "acme/unobserved-prefetch";
        var unobserved = await UnobservedErrors.DuringAsync(repo, () =>
        {
            _github.FailNext(1, 422, where: call => call.StartsWith($"GET /repos/{repo}/pulls?", StringComparison.Ordinal));
            return PrefetchAndDropAsync(repo);
        });
        unobserved.ShouldBeEmpty();
    }

    /// <summary>Prefetches a failing read, waits for it to fail without observing it, and lets go of the store (not inlined: nothing here may stay reachable).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task PrefetchAndDropAsync(string repo)
    {
        var store = Store();
        store.Prefetch(Pr(7, repo));
        var read = store.SnapshotRead.ShouldNotBeNull();
        await read.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).WaitAsync(Patience);
        read.IsFaulted.ShouldBeTrue();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }
}
