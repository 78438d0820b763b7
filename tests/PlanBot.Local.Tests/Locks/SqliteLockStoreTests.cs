using PlanBot.Core.Ports;
using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Local.Tests.Locks;

/// <summary>The lock contract on the embedded SQLite backend; each test gets its own database file.</summary>
public sealed class SqliteLockStoreTests : LockStoreContract, IDisposable
{
    private readonly TempDir _dir = new("planbot-locks");

    protected override ILockStore CreateStore() => new SqliteLockStore(_dir.Combine("state", "locks.db"), Clock);

    [Fact]
    public async Task Two_store_instances_on_one_file_see_each_others_locks_as_separate_processes_would()
    {
        var first = CreateStore();
        var second = CreateStore();
        var key = new LockKey(LockKind.Project, "acme/infra", "app", "default");
        (await first.AcquireAsync(key, new("acme/infra", 1, "a", "u", "r1"), TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        (await second.AcquireAsync(key, new("acme/infra", 2, "b", "v", "r2"), TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeOfType<LockResult.HeldBy>();
    }

    public void Dispose() => _dir.Dispose();
}
