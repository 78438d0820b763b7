using PlanBot.Core.Ports;
using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Local.Tests.Locks;

/// <summary>The lease contract on the local SQLite file.</summary>
public sealed class SqliteLeaseStoreTests : LeaseStoreContract, IDisposable
{
    private readonly TempDir _dir = new("planbot-leases");

    protected override ILeaseStore CreateStore() => new SqliteLeaseStore(Path.Combine(_dir.Path, "state", "leases.db"), Clock);

    public void Dispose() => _dir.Dispose();
}
