using Microsoft.Data.Sqlite;
using PlanBot.Core.Ports;

namespace PlanBot.Local.Locks;

/// <summary>
/// Leases and seen ids in one SQLite file: shared by processes on one machine (one data dir), as
/// SQLite's writer lock serializes them (BEGIN IMMEDIATE). Replicas on several machines use DynamoDB.
/// </summary>
public sealed class SqliteLeaseStore : ILeaseStore
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public SqliteLeaseStore(string file, TimeProvider time)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, DefaultTimeout = 30 }.ToString();
        _time = time;
        using var connection = Open();
        Execute(connection, null, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL, expires INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, expires INTEGER NOT NULL);
            """);
    }

    public Task<Lease?> TryAcquireAsync(string key, string holder, TimeSpan ttl, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var taken = LeaseRules.Take(Read(connection, transaction, key), key, holder, _time.GetUtcNow(), ttl);
        if (taken is not null)
        {
            Write(connection, transaction, taken);
            transaction.Commit();
        }

        return taken;
    }, cancellationToken);

    public Task<bool> RenewAsync(Lease lease, TimeSpan ttl, CancellationToken cancellationToken) => Task.Run(() =>
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var now = _time.GetUtcNow();
        if (Read(connection, transaction, lease.Key) is not { } current || current.Token != lease.Token || current.Holder != lease.Holder || current.Expires <= now)
        {
            return false; // a newer holder, or expired: someone may hold it (or take it) now
        }

        Write(connection, transaction, current with { Expires = now + ttl });
        transaction.Commit();
        return true;
    }, cancellationToken);

    public Task ReleaseAsync(Lease lease, CancellationToken cancellationToken) => Task.Run(() =>
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var connection = Open();
        Execute(connection, null, "UPDATE leases SET expires = 0 WHERE key = $key AND token = $token AND holder = $holder;", ("$key", lease.Key), ("$token", lease.Token), ("$holder", lease.Holder));
    }, cancellationToken);

    public Task<bool> TryRecordAsync(string id, TimeSpan keep, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = Open();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return Execute(connection, null, """
            INSERT INTO seen (id, expires) VALUES ($id, $expires) ON CONFLICT(id) DO UPDATE SET expires = excluded.expires WHERE seen.expires <= $now;
            """, ("$id", id), ("$expires", now + (long)keep.TotalMilliseconds), ("$now", now)) == 1;
    }, cancellationToken);

    public Task<bool> IsRecordedAsync(string id, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM seen WHERE id = $id AND expires > $now;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }, cancellationToken);

    public Task ForgetAsync(string id, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = Open();
        Execute(connection, null, "DELETE FROM seen WHERE id = $id;", ("$id", id));
    }, cancellationToken);

    private static Lease? Read(SqliteConnection connection, SqliteTransaction transaction, string key)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT holder, token, expires FROM leases WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new Lease(key, reader.GetString(0), reader.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))) : null;
    }

    private static void Write(SqliteConnection connection, SqliteTransaction transaction, Lease lease) =>
        Execute(connection, transaction, "INSERT OR REPLACE INTO leases (key, holder, token, expires) VALUES ($key, $holder, $token, $expires);",
            ("$key", lease.Key), ("$holder", lease.Holder), ("$token", lease.Token), ("$expires", lease.Expires.ToUnixTimeMilliseconds()));

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteNonQuery();
    }
}
