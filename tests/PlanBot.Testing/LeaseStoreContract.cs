using Microsoft.Extensions.Time.Testing;
using PlanBot.Core.Ports;
using Shouldly;
using Xunit;

namespace PlanBot.Testing;

/// <summary>What every <see cref="ILeaseStore"/> backend must do (issue 18: per-PR ordering and fencing across replicas), over a fake clock.</summary>
public abstract class LeaseStoreContract
{
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    protected abstract ILeaseStore CreateStore();

    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_live_lease_stops_other_holders_and_its_holder_renews_it_with_the_same_token()
    {
        var store = CreateStore();
        var a = (await store.TryAcquireAsync("pr:acme/infra#7", "replica-a/d1", Ttl, CancellationToken.None)).ShouldNotBeNull();
        (await store.TryAcquireAsync("pr:acme/infra#7", "replica-b/d2", Ttl, CancellationToken.None)).ShouldBeNull("one PR's work runs on one replica at a time");
        (await store.TryAcquireAsync("pr:acme/infra#8", "replica-b/d3", Ttl, CancellationToken.None)).ShouldNotBeNull("another PR is free");
        Clock.Advance(TimeSpan.FromMinutes(1));
        (await store.RenewAsync(a, Ttl, CancellationToken.None)).ShouldBeTrue();
        Clock.Advance(TimeSpan.FromMinutes(1.5));
        (await store.TryAcquireAsync("pr:acme/infra#7", "replica-b/d2", Ttl, CancellationToken.None)).ShouldBeNull("the renewal moved the expiry");
        var again = (await store.TryAcquireAsync("pr:acme/infra#7", "replica-a/d1", Ttl, CancellationToken.None)).ShouldNotBeNull();
        again.Token.ShouldBe(a.Token);
    }

    [Fact]
    public async Task A_takeover_after_expiry_gets_a_greater_token_and_fences_the_stale_holder_out()
    {
        var store = CreateStore();
        var stale = (await store.TryAcquireAsync("pr:acme/infra#7", "replica-a/d1", Ttl, CancellationToken.None)).ShouldNotBeNull();
        Clock.Advance(Ttl + TimeSpan.FromSeconds(1)); // replica a paused (or died) past its lease
        var fresh = (await store.TryAcquireAsync("pr:acme/infra#7", "replica-b/d1", Ttl, CancellationToken.None)).ShouldNotBeNull();
        fresh.Token.ShouldBeGreaterThan(stale.Token);

        (await store.RenewAsync(stale, Ttl, CancellationToken.None)).ShouldBeFalse("the stale replica's next write is refused");
        await store.ReleaseAsync(stale, CancellationToken.None); // must not free the new holder's lease
        (await store.TryAcquireAsync("pr:acme/infra#7", "replica-c/d9", Ttl, CancellationToken.None)).ShouldBeNull();
        (await store.RenewAsync(fresh, Ttl, CancellationToken.None)).ShouldBeTrue();

        await store.ReleaseAsync(fresh, CancellationToken.None);
        (await store.RenewAsync(fresh, Ttl, CancellationToken.None)).ShouldBeFalse("released is over");
        var next = (await store.TryAcquireAsync("pr:acme/infra#7", "replica-c/d9", Ttl, CancellationToken.None)).ShouldNotBeNull();
        next.Token.ShouldBeGreaterThan(fresh.Token, "tokens never go back, even after a release");
    }

    [Fact]
    public async Task Of_many_replicas_taking_one_free_lease_at_once_exactly_one_wins()
    {
        var store = CreateStore();
        var tries = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => store.TryAcquireAsync("pr:acme/infra#9", $"replica-{i}/d", Ttl, CancellationToken.None))));
        tries.Count(t => t is not null).ShouldBe(1);
    }

    [Fact]
    public async Task A_delivery_id_is_recorded_once_until_forgotten_or_expired()
    {
        var store = CreateStore();
        (await store.IsRecordedAsync("delivery:abc", CancellationToken.None)).ShouldBeFalse();
        (await store.TryRecordAsync("delivery:abc", TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeTrue();
        (await store.TryRecordAsync("delivery:abc", TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeFalse("a replay, to any replica");
        (await store.IsRecordedAsync("delivery:abc", CancellationToken.None)).ShouldBeTrue();
        await store.ForgetAsync("delivery:abc", CancellationToken.None);
        (await store.TryRecordAsync("delivery:abc", TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeTrue("forgotten: a redelivery is new");
        Clock.Advance(TimeSpan.FromDays(8));
        (await store.IsRecordedAsync("delivery:abc", CancellationToken.None)).ShouldBeFalse();
        (await store.TryRecordAsync("delivery:abc", TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeTrue("expired records do not block");
        var both = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => store.TryRecordAsync("delivery:xyz", TimeSpan.FromDays(7), CancellationToken.None))));
        both.Count(b => b).ShouldBe(1, "concurrent intakes of one id: one accepts");
    }
}
