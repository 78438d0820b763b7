using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Server.Tests;

/// <summary>N replicas check a repository's drift once per interval, whichever replica started when.</summary>
public sealed class DriftSlotsTests : IDisposable
{
    private readonly TempDir _data = new("planbot-drift-slots");

    [Fact]
    public async Task Two_replicas_sharing_a_lease_store_check_a_repository_once_per_interval_and_again_in_the_next()
    {
        var file = Path.Combine(_data.Path, "leases.db");
        var a = new SqliteLeaseStore(file, TimeProvider.System);
        var b = new SqliteLeaseStore(file, TimeProvider.System);
        var sixHours = TimeSpan.FromHours(6);
        var slotStart = DateTimeOffset.FromUnixTimeMilliseconds(20_000 * (long)sixHours.TotalMilliseconds);

        // a ticks early in the slot, b (started later) near its end: one check
        (await DriftSlots.TryClaimAsync(a, "acme/infra", slotStart.AddMinutes(5), sixHours, CancellationToken.None)).ShouldBeTrue();
        (await DriftSlots.TryClaimAsync(b, "acme/infra", slotStart.AddHours(5).AddMinutes(59), sixHours, CancellationToken.None)).ShouldBeFalse("b's tick falls in the slot a checked");
        (await DriftSlots.TryClaimAsync(b, "acme/network", slotStart.AddHours(5), sixHours, CancellationToken.None)).ShouldBeTrue("another repository is its own slot");

        // the next slot: whoever ticks first checks it
        (await DriftSlots.TryClaimAsync(b, "acme/infra", slotStart.AddHours(6), sixHours, CancellationToken.None)).ShouldBeTrue();
        (await DriftSlots.TryClaimAsync(a, "acme/infra", slotStart.AddHours(6).AddMinutes(5), sixHours, CancellationToken.None)).ShouldBeFalse();
    }

    [Fact]
    public void Slots_are_cut_from_the_epoch_so_every_replica_names_them_alike()
    {
        var hour = TimeSpan.FromHours(1);
        var at = DateTimeOffset.Parse("2026-12-01T21:10:00Z", System.Globalization.CultureInfo.InvariantCulture);
        DriftSlots.IdOf("acme/infra", at, hour).ShouldBe(DriftSlots.IdOf("acme/infra", at.AddMinutes(49), hour));
        DriftSlots.IdOf("acme/infra", at, hour).ShouldNotBe(DriftSlots.IdOf("acme/infra", at.AddMinutes(50), hour));
        DriftSlots.IdOf("acme/infra", at, hour).ShouldBe($"drift:acme/infra:{at.ToUnixTimeMilliseconds() / 3_600_000}");
    }

    public void Dispose() => _data.Dispose();
}
