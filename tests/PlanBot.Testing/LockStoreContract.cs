using Microsoft.Extensions.Time.Testing;
using PlanBot.Core.Ports;
using Shouldly;
using Xunit;

namespace PlanBot.Testing;

/// <summary>
/// The behaviour every <see cref="ILockStore"/> backend must have, the best-effort github backend
/// included; a backend's test class derives from this (or from <see cref="StrictLockStoreContract"/>)
/// and creates the store over a fake clock.
/// </summary>
public abstract class LockStoreContract
{
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    protected abstract ILockStore CreateStore();

    protected static readonly LockKey Network = new(LockKind.Project, "acme/infra", "envs/prod/network", "default");

    protected static LockOwner Pr(int number, string sha = "aaaa", string run = "run-1") => new("acme/infra", number, sha, "alice", run);

    [Fact]
    public async Task The_same_pr_keeps_its_project_lock_across_pushes_and_others_are_told_who_holds_it()
    {
        var store = CreateStore();
        var first = (await store.AcquireAsync(Network, Pr(7, "aaaa"), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        Clock.Advance(TimeSpan.FromHours(1));
        var again = (await store.AcquireAsync(Network, Pr(7, "bbbb", "run-2"), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        again.Lock.Since.ShouldBe(first.Lock.Since);
        again.Lock.Owner.HeadSha.ShouldBe("bbbb");

        var other = (await store.AcquireAsync(Network, Pr(8), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.HeldBy>();
        other.Owner.PullRequest.ShouldBe(7);
        other.Since.ShouldBe(first.Lock.Since);
    }

    [Fact]
    public async Task Only_the_owner_releases_and_releasing_a_free_lock_is_not_an_error()
    {
        var store = CreateStore();
        await store.AcquireAsync(Network, Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        var refused = (await store.ReleaseAsync(Network, Pr(8), CancellationToken.None)).ShouldBeOfType<LockResult.NotOwner>();
        refused.Current!.Owner.PullRequest.ShouldBe(7);
        (await store.ReleaseAsync(Network, Pr(7), CancellationToken.None)).ShouldBeOfType<LockResult.Released>();
        (await store.ListAsync("acme/infra", CancellationToken.None)).ShouldBeEmpty();
        (await store.ReleaseAsync(Network, Pr(7), CancellationToken.None)).ShouldBe(new LockResult.NotOwner(null));
    }

    [Fact]
    public async Task An_expired_lock_is_free_for_the_next_pr()
    {
        var store = CreateStore();
        await store.AcquireAsync(Network, Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        (await store.AcquireAsync(Network, Pr(8), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.HeldBy>();
        Clock.Advance(TimeSpan.FromSeconds(2));
        (await store.ListAsync("acme/infra", CancellationToken.None)).ShouldBeEmpty();
        (await store.AcquireAsync(Network, Pr(8), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
    }
}

/// <summary>
/// What strict backends (local, dynamodb, azure) add to <see cref="LockStoreContract"/>: one winner
/// under contention, run locks of their own, and approvals kept with the project lock
/// (<see cref="IApprovalStore"/>).
/// </summary>
public abstract class StrictLockStoreContract : LockStoreContract
{
    private static IApprovalStore ApprovalStore(ILockStore store) => store.ShouldBeAssignableTo<IApprovalStore>()!;

    [Fact]
    public async Task Exactly_one_of_32_concurrent_acquirers_wins()
    {
        var store = CreateStore();
        var results = await Task.WhenAll(Enumerable.Range(1, 32).Select(pr => Task.Run(() => store.AcquireAsync(Network, Pr(pr), TimeSpan.FromDays(7), CancellationToken.None))));
        var winners = results.OfType<LockResult.Acquired>().ToArray();
        winners.Length.ShouldBe(1);
        results.OfType<LockResult.HeldBy>().ShouldAllBe(h => h.Owner.PullRequest == winners[0].Lock.Owner.PullRequest);
    }

    [Fact]
    public async Task A_run_lock_belongs_to_one_run_not_to_the_whole_pr()
    {
        var store = CreateStore();
        var run = Network with { Kind = LockKind.Run };
        (await store.AcquireAsync(run, Pr(7, run: "run-1"), TimeSpan.FromMinutes(2), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        (await store.AcquireAsync(run, Pr(7, run: "run-2"), TimeSpan.FromMinutes(2), CancellationToken.None)).ShouldBeOfType<LockResult.HeldBy>();
        // the project lock of the same project is a different key
        (await store.AcquireAsync(Network, Pr(9), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        run.Id.ShouldStartWith("planbot:run:");
        Network.Id.ShouldBe("planbot:project:acme/infra/envs/prod/network/default");
    }

    [Fact]
    public async Task Approvals_live_with_the_project_lock_across_renewals_and_go_with_its_release()
    {
        var store = CreateStore();
        ApprovalStore(store).KeepsApprovals.ShouldBeTrue();
        (await ApprovalStore(store).UpdateApprovalsAsync(Network, Pr(7), _ => "{}", CancellationToken.None)).ShouldBe(new LockResult.NotOwner(null));
        await store.AcquireAsync(Network, Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        var updated = (await ApprovalStore(store).UpdateApprovalsAsync(Network, Pr(7, "aaaa", "run-2"), current => current + "[alice]", CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        updated.Lock.Approvals.ShouldBe("[alice]");
        (await store.ListAsync("acme/infra", CancellationToken.None)).Single().Approvals.ShouldBe("[alice]");

        Clock.Advance(TimeSpan.FromHours(1));
        var renewed = (await store.AcquireAsync(Network, Pr(7, "bbbb", "run-3"), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        renewed.Lock.Approvals.ShouldBe("[alice]");

        var refused = (await ApprovalStore(store).UpdateApprovalsAsync(Network, Pr(8), _ => "[mallory]", CancellationToken.None)).ShouldBeOfType<LockResult.NotOwner>();
        refused.Current!.Owner.PullRequest.ShouldBe(7);
        (await store.ListAsync("acme/infra", CancellationToken.None)).Single().Approvals.ShouldBe("[alice]");

        (await ApprovalStore(store).UpdateApprovalsAsync(Network, Pr(7), _ => null, CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>().Lock.Approvals.ShouldBeNull();
        await ApprovalStore(store).UpdateApprovalsAsync(Network, Pr(7), _ => "[bob]", CancellationToken.None);
        await store.ReleaseAsync(Network, Pr(7), CancellationToken.None);
        (await store.AcquireAsync(Network, Pr(7), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>().Lock.Approvals.ShouldBeNull();
    }

    [Fact]
    public async Task A_takeover_of_an_expired_lock_does_not_inherit_the_previous_prs_approvals()
    {
        var store = CreateStore();
        await store.AcquireAsync(Network, Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        await ApprovalStore(store).UpdateApprovalsAsync(Network, Pr(7), _ => "[alice]", CancellationToken.None);
        Clock.Advance(TimeSpan.FromDays(8));
        (await ApprovalStore(store).UpdateApprovalsAsync(Network, Pr(7), _ => "[late]", CancellationToken.None)).ShouldBe(new LockResult.NotOwner(null));
        (await store.AcquireAsync(Network, Pr(8), TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>().Lock.Approvals.ShouldBeNull();
    }

    [Fact]
    public async Task Concurrent_approval_updates_are_all_kept()
    {
        var store = CreateStore();
        await store.AcquireAsync(Network, Pr(7), TimeSpan.FromDays(7), CancellationToken.None);
        var users = Enumerable.Range(1, 8).Select(i => $"user{i}").ToArray();
        var results = await Task.WhenAll(users.Select(user => Task.Run(() =>
            ApprovalStore(store).UpdateApprovalsAsync(Network, Pr(7, run: user), current => string.Join(',', (current ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Append(user)), CancellationToken.None))));
        results.ShouldAllBe(r => r is LockResult.Acquired);
        var kept = (await store.ListAsync("acme/infra", CancellationToken.None)).Single().Approvals!.Split(',');
        kept.Order(StringComparer.Ordinal).ShouldBe(users.Order(StringComparer.Ordinal));
    }
}
