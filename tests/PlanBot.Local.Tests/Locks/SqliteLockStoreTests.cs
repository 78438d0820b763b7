using PlanBot.Core.Ports;
using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Local.Tests.Locks;

/// <summary>The lock contract on the embedded SQLite backend; each test gets its own database file.</summary>
public sealed class SqliteLockStoreTests : StrictLockStoreContract, IDisposable
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

    [Fact]
    public async Task A_lock_database_from_before_approvals_gains_the_column_and_keeps_its_locks()
    {
        var file = _dir.Combine("state", "old.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                CREATE TABLE locks (
                  id TEXT PRIMARY KEY, kind INTEGER NOT NULL, repo TEXT NOT NULL, dir TEXT NOT NULL, workspace TEXT NOT NULL,
                  owner_repo TEXT NOT NULL, pull_request INTEGER NOT NULL, head_sha TEXT NOT NULL, user TEXT NOT NULL, run_id TEXT NOT NULL,
                  since INTEGER NOT NULL, expires INTEGER NOT NULL);
                INSERT INTO locks VALUES ('planbot:project:acme/infra/app/default', 0, 'acme/infra', 'app', 'default', 'acme/infra', 4, 'abc', 'alice', 'r1',
                  {Clock.GetUtcNow().ToUnixTimeMilliseconds()}, {(Clock.GetUtcNow() + TimeSpan.FromDays(1)).ToUnixTimeMilliseconds()});
                """;
            command.ExecuteNonQuery();
        }

        var store = new SqliteLockStore(file, Clock);
        var held = (await store.ListAsync("acme/infra", CancellationToken.None)).ShouldHaveSingleItem();
        held.Owner.PullRequest.ShouldBe(4);
        held.Approvals.ShouldBeNull();
        (await store.UpdateApprovalsAsync(held.Key, held.Owner, _ => "[alice]", CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        (await new SqliteLockStore(file, Clock).ListAsync(null, CancellationToken.None)).Single().Approvals.ShouldBe("[alice]");
    }

    public void Dispose() => _dir.Dispose();
}
