using Microsoft.Data.Sqlite;
using PlanBot.Core.Ports;

namespace PlanBot.Local.Locks;

/// <summary>
/// The <c>local</c> lock backend: one SQLite file under PLANBOT_DATA_DIR. Chosen over atomic files
/// because taking over an expired lock is a read-then-write that files cannot make atomic across
/// processes, while a <c>BEGIN IMMEDIATE</c> transaction serializes every writer on the machine
/// (and keeps each project's approvals in its lock row). Time comes from the injected TimeProvider.
/// </summary>
public sealed class SqliteLockStore : ILockStore, IApprovalStore
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    /// <param name="keepsApprovals">False when the file does not outlive the run (an Actions runner's empty disk): approvals then stay in the PR comment.</param>
    public SqliteLockStore(string file, TimeProvider time, bool keepsApprovals = true)
    {
        KeepsApprovals = keepsApprovals;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, DefaultTimeout = 30 }.ToString();
        _time = time;
        using var connection = Open();
        Execute(connection, null, "PRAGMA journal_mode=WAL;");
        Execute(connection, null, """
            CREATE TABLE IF NOT EXISTS locks (
              id TEXT PRIMARY KEY, kind INTEGER NOT NULL, repo TEXT NOT NULL, dir TEXT NOT NULL, workspace TEXT NOT NULL,
              owner_repo TEXT NOT NULL, pull_request INTEGER NOT NULL, head_sha TEXT NOT NULL, user TEXT NOT NULL, run_id TEXT NOT NULL,
              since INTEGER NOT NULL, expires INTEGER NOT NULL, approvals TEXT);
            """);
        if (!HasColumn(connection, "approvals"))
        {
            Execute(connection, null, "ALTER TABLE locks ADD COLUMN approvals TEXT;"); // a database from before approvals were kept here
        }
    }

    public bool KeepsApprovals { get; }

    public Task<LockResult> AcquireAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: one writer at a time
        var now = _time.GetUtcNow();
        var current = Read(connection, transaction, key);
        var taken = LockOwnership.Take(current, key, owner, now, ttl);
        if (taken is not LockResult.Acquired { Lock: var record })
        {
            return taken;
        }
        Execute(connection, transaction, """
            INSERT OR REPLACE INTO locks (id, kind, repo, dir, workspace, owner_repo, pull_request, head_sha, user, run_id, since, expires, approvals)
            VALUES ($id, $kind, $repo, $dir, $workspace, $owner_repo, $pr, $sha, $user, $run, $since, $expires, $approvals);
            """,
            ("$id", key.Id), ("$kind", (int)key.Kind), ("$repo", key.Repo), ("$dir", key.Dir), ("$workspace", key.Workspace),
            ("$owner_repo", owner.Repo), ("$pr", owner.PullRequest), ("$sha", owner.HeadSha), ("$user", owner.User), ("$run", owner.RunId),
            ("$since", record.Since.ToUnixTimeMilliseconds()), ("$expires", record.Expires.ToUnixTimeMilliseconds()), ("$approvals", (object?)record.Approvals ?? DBNull.Value));
        transaction.Commit();
        return taken;
    }, cancellationToken);

    public Task<LockResult> UpdateApprovalsAsync(LockKey key, LockOwner owner, Func<string?, string?> update, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false); // the transaction is the compare-and-swap: update runs once
        var current = Read(connection, transaction, key);
        if (LockOwnership.Refuses(current, key, owner, _time.GetUtcNow(), out var refused))
        {
            return (LockResult)refused;
        }

        var record = current with { Approvals = update(current.Approvals) };
        Execute(connection, transaction, "UPDATE locks SET approvals = $approvals WHERE id = $id;", ("$id", key.Id), ("$approvals", (object?)record.Approvals ?? DBNull.Value));
        transaction.Commit();
        return new LockResult.Acquired(record);
    }, cancellationToken);

    public Task<LockResult> ReleaseAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var current = Read(connection, transaction, key);
        if (LockOwnership.Refuses(current, key, owner, _time.GetUtcNow(), out var refused))
        {
            return (LockResult)refused;
        }

        Execute(connection, transaction, "DELETE FROM locks WHERE id = $id;", ("$id", key.Id));
        transaction.Commit();
        return new LockResult.Released();
    }, cancellationToken);

    public Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM locks WHERE expires > $now AND ($repo IS NULL OR repo = $repo) ORDER BY id;";
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$repo", (object?)repo ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var result = new List<LockRecord>();
        while (reader.Read())
        {
            result.Add(Record(reader));
        }

        return (IReadOnlyList<LockRecord>)result;
    }, cancellationToken);

    private static bool HasColumn(SqliteConnection connection, string column)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('locks') WHERE name = $name;";
        command.Parameters.AddWithValue("$name", column);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static LockRecord? Read(SqliteConnection connection, SqliteTransaction transaction, LockKey key)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT * FROM locks WHERE id = $id;";
        command.Parameters.AddWithValue("$id", key.Id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Record(reader) : null;
    }

    private static LockRecord Record(SqliteDataReader r) => new(
        new LockKey((LockKind)r.GetInt32(1), r.GetString(2), r.GetString(3), r.GetString(4)),
        new LockOwner(r.GetString(5), r.GetInt32(6), r.GetString(7), r.GetString(8), r.GetString(9)),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10)),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(11)),
        r.IsDBNull(12) ? null : r.GetString(12));

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }
}
