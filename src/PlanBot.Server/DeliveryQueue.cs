using Microsoft.Data.Sqlite;

namespace PlanBot.Server;

/// <summary>An accepted delivery, as stored until it is handled.</summary>
/// <param name="PullRequest">The line it runs on (<see cref="KeyOf"/>): its PR, or null for the repository's line (pushes, and commands on a merged PR, which may apply).</param>
public sealed record Delivery(string Id, string Event, string Repo, int? PullRequest, byte[] Body, DateTimeOffset Received)
{
    /// <summary>
    /// The run id every attempt of this delivery uses (for its run leases and plan files): a re-run
    /// after a crash or <c>kill -9</c> holds the dead run's leases instead of being locked out by them.
    /// </summary>
    public string RunId { get; init; } = "";

    /// <summary>Which attempt this is (1 for the first run).</summary>
    public int Attempt { get; init; }
}

/// <summary>What storing a delivery did.</summary>
public enum EnqueueResult
{
    /// <summary>New: queued.</summary>
    Accepted,
    /// <summary>Seen before and queued, running or handled: nothing to do (a replay).</summary>
    Duplicate,
    /// <summary>Seen before and failed, parked or dropped: queued again (GitHub's "Redeliver").</summary>
    Redelivered,
}

/// <summary>One row of the queue, for `planbot queue list`.</summary>
public sealed record QueueEntry(string Id, string Event, string Repo, int? PullRequest, string State, int Attempts, string? LastError, DateTimeOffset Received, DateTimeOffset? NextAttempt, bool HasBody);

/// <summary>
/// Accepted deliveries, persisted in SQLite under PLANBOT_DATA_DIR so a restart loses none: a
/// delivery is stored before the 202 is sent, and one that was running when the process died is
/// queued again at start, its attempt counted (a crash loop ends parked, see <see cref="TakeExhausted"/>).
/// The delivery id is the key: a replayed id is not run twice, a redelivered id whose delivery
/// failed or was parked is queued again. States: queued, running, done, superseded, failed (GitHub
/// unreachable for the whole retry schedule), parked (dead letter: failed or crashed N times),
/// dropped (by an operator). Failed and parked deliveries keep their body.
/// Order is insertion order (rowid). One connection, used under a lock: SQLite has one writer
/// anyway, and its busy-retry sleeps would otherwise dominate under a burst of deliveries. Bodies
/// live in their own table, so state changes rewrite small rows, and go once a delivery is done.
/// </summary>
public sealed class DeliveryQueue : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _checkpointer;
    private readonly Timer _checkpoints;
    private readonly Lock _gate = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingDelivery> _pending = new();
    private int _writing;

    public DeliveryQueue(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, DefaultTimeout = 30 }.ToString());
        _connection.Open();
        // WAL with synchronous=NORMAL: a committed delivery survives a crash of the process (not a power
        // loss of the machine), without an fsync per webhook.
        Execute(null, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            PRAGMA wal_autocheckpoint=0;
            CREATE TABLE IF NOT EXISTS deliveries (
              id TEXT PRIMARY KEY, event TEXT NOT NULL, repo TEXT NOT NULL, pr INTEGER NULL,
              received INTEGER NOT NULL, state TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS bodies (id TEXT PRIMARY KEY, body BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS queued_by_pr ON deliveries (state, repo, pr);
            """);
        AddColumns();
        Execute(null, """
            UPDATE deliveries SET state = 'queued', last_error = 'the service stopped while this delivery ran (a crash or kill -9); the attempt counts' WHERE state = 'running';
            DELETE FROM deliveries WHERE state IN ('done', 'superseded', 'dropped') AND received < (strftime('%s', 'now') - 7 * 86400) * 1000;
            DELETE FROM deliveries WHERE state IN ('failed', 'parked') AND received < (strftime('%s', 'now') - 30 * 86400) * 1000;
            DELETE FROM bodies WHERE id NOT IN (SELECT id FROM deliveries);
            """);

        // Checkpoints copy the WAL into the database; done here, on a connection of their own and
        // outside the lock, they never stall an accepting request (PASSIVE waits for no one).
        _checkpointer = new SqliteConnection(_connection.ConnectionString);
        _checkpointer.Open();
        _checkpoints = new Timer(_ => Checkpoint(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Columns added after the first release: a queue.db written by an older PlanBot is upgraded in place.</summary>
    private void AddColumns()
    {
        var have = new HashSet<string>(StringComparer.Ordinal);
        using (var info = _connection.CreateCommand())
        {
            info.CommandText = "PRAGMA table_info(deliveries);";
            using var reader = info.ExecuteReader();
            while (reader.Read())
            {
                have.Add(reader.GetString(1));
            }
        }

        foreach (var (column, definition) in new[]
                 {
                     ("attempts", "INTEGER NOT NULL DEFAULT 0"), ("retries", "INTEGER NOT NULL DEFAULT 0"), ("next_attempt", "INTEGER NOT NULL DEFAULT 0"),
                     ("run_id", "TEXT NOT NULL DEFAULT ''"), ("last_error", "TEXT NULL"),
                 })
        {
            if (!have.Contains(column))
            {
                Execute(null, $"ALTER TABLE deliveries ADD COLUMN {column} {definition};");
            }
        }
    }

    private void Checkpoint()
    {
        try
        {
            using var command = _checkpointer.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            command.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // busy or shutting down: the next tick checkpoints
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Stores a delivery (see <see cref="EnqueueResult"/>). Concurrent callers share one transaction
    /// (group commit): under a burst, one commit stores many deliveries.
    /// </summary>
    public async Task<EnqueueResult> TryEnqueueAsync(Delivery delivery)
    {
        var pending = new PendingDelivery(delivery);
        _pending.Enqueue(pending);
        if (Interlocked.Exchange(ref _writing, 1) == 0)
        {
            _ = Task.Run(WriteBatches);
        }

        return await pending.Stored.Task.ConfigureAwait(false);
    }

    private sealed record PendingDelivery(Delivery Delivery)
    {
        public TaskCompletionSource<EnqueueResult> Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Drains the pending deliveries in batches, one transaction each, until none are left.</summary>
    private void WriteBatches()
    {
        while (true)
        {
            var batch = new List<PendingDelivery>();
            while (batch.Count < 256 && _pending.TryDequeue(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count > 0)
            {
                try
                {
                    lock (_gate)
                    {
                        using var transaction = _connection.BeginTransaction(deferred: false);
                        var stored = batch.Select(p => Insert(transaction, p.Delivery)).ToArray();
                        transaction.Commit();
                        for (var i = 0; i < batch.Count; i++)
                        {
                            batch[i].Stored.TrySetResult(stored[i]);
                        }
                    }
                }
                catch (SqliteException e)
                {
                    foreach (var pending in batch)
                    {
                        pending.Stored.TrySetException(e);
                    }
                }

                continue;
            }

            Volatile.Write(ref _writing, 0);
            if (_pending.IsEmpty || Interlocked.Exchange(ref _writing, 1) == 1)
            {
                return; // nothing left, or another writer took over what arrived meanwhile
            }
        }
    }

    /// <summary>One delivery into the batch's transaction.</summary>
    private EnqueueResult Insert(SqliteTransaction transaction, Delivery delivery)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR IGNORE INTO deliveries (id, event, repo, pr, received, state, run_id) VALUES ($id, $event, $repo, $pr, $received, 'queued', $run);";
        command.Parameters.AddWithValue("$id", delivery.Id);
        command.Parameters.AddWithValue("$event", delivery.Event);
        command.Parameters.AddWithValue("$repo", delivery.Repo);
        command.Parameters.AddWithValue("$pr", (object?)delivery.PullRequest ?? DBNull.Value);
        command.Parameters.AddWithValue("$received", delivery.Received.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$run", delivery.RunId is { Length: > 0 } run ? run : NewRunId());
        var result = EnqueueResult.Accepted;
        if (command.ExecuteNonQuery() != 1)
        {
            // known: a redelivery of one that did not succeed runs again (with its attempts reset); anything else is a replay
            using var again = _connection.CreateCommand();
            again.Transaction = transaction;
            again.CommandText = "UPDATE deliveries SET state = 'queued', attempts = 0, retries = 0, next_attempt = 0, last_error = NULL WHERE id = $id AND state IN ('failed', 'parked', 'dropped');";
            again.Parameters.AddWithValue("$id", delivery.Id);
            if (again.ExecuteNonQuery() != 1)
            {
                return EnqueueResult.Duplicate;
            }

            result = EnqueueResult.Redelivered;
        }

        using var body = _connection.CreateCommand();
        body.Transaction = transaction;
        body.CommandText = "INSERT OR REPLACE INTO bodies VALUES ($id, $body);";
        body.Parameters.AddWithValue("$id", delivery.Id);
        body.Parameters.AddWithValue("$body", delivery.Body);
        body.ExecuteNonQuery();
        return result;
    }

    /// <summary>A run id of the length and shape the Action's run ids have (lock owners show it).</summary>
    private static string NewRunId() => $"serve-{Guid.NewGuid():N}"[..24];

    /// <summary>
    /// The oldest queued delivery of each work key (repo#pr, or repo) not in <paramref name="busy"/>,
    /// due by <paramref name="now"/> and with fewer than <paramref name="maxAttempts"/> attempts,
    /// marked running with its attempt counted. Pushes superseded by a newer queued push to the same
    /// PR are marked superseded first: an older head needs no plan.
    /// </summary>
    public IReadOnlyList<Delivery> TakeNext(ISet<string> busy, int max, DateTimeOffset now, int maxAttempts = int.MaxValue)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            var superseded = new List<string>();
            using (var older = _connection.CreateCommand())
            {
                older.Transaction = transaction;
                older.CommandText = """
                    SELECT id FROM deliveries WHERE state = 'queued' AND event = 'pull_request' AND pr IS NOT NULL
                    AND rowid < (SELECT MAX(d.rowid) FROM deliveries d WHERE d.state = 'queued' AND d.event = 'pull_request' AND d.repo = deliveries.repo AND d.pr = deliveries.pr);
                    """;
                using var reader = older.ExecuteReader();
                while (reader.Read())
                {
                    superseded.Add(reader.GetString(0));
                }
            }

            foreach (var id in superseded)
            {
                SetState(transaction, id, "superseded");
                DeleteBody(transaction, id);
            }
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                SELECT d.id, d.event, d.repo, d.pr, b.body, d.received, d.run_id, d.attempts FROM deliveries d JOIN bodies b ON b.id = d.id
                WHERE d.rowid IN (SELECT MIN(rowid) FROM deliveries WHERE state = 'queued' GROUP BY repo, pr) AND d.next_attempt <= $now AND d.attempts < $max ORDER BY d.rowid;
                """;
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$max", maxAttempts);
            var taken = new List<Delivery>();
            var keys = new HashSet<string>(busy, StringComparer.Ordinal);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read() && taken.Count < max)
                {
                    var delivery = Read(reader) with { Attempt = reader.GetInt32(7) + 1 };
                    if (keys.Add(KeyOf(delivery)))
                    {
                        taken.Add(delivery);
                    }
                }
            }

            foreach (var delivery in taken)
            {
                Update(transaction, delivery.Id, "state = 'running', attempts = attempts + 1");
            }

            transaction.Commit();
            return taken;
        }
    }

    private static Delivery Read(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt32(3), (byte[])reader[4], DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)))
        {
            RunId = reader.GetString(6),
            Attempt = reader.GetInt32(7),
        };

    /// <summary>
    /// Queued deliveries that used up <paramref name="maxAttempts"/> (each start after a crash counts
    /// one): parked, with their bodies, and returned so the worker can say so on the PR.
    /// </summary>
    public IReadOnlyList<Delivery> TakeExhausted(int maxAttempts)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                SELECT d.id, d.event, d.repo, d.pr, b.body, d.received, d.run_id, d.attempts FROM deliveries d JOIN bodies b ON b.id = d.id
                WHERE d.state = 'queued' AND d.attempts >= $max ORDER BY d.rowid;
                """;
            command.Parameters.AddWithValue("$max", maxAttempts);
            var parked = new List<Delivery>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    parked.Add(Read(reader));
                }
            }

            foreach (var delivery in parked)
            {
                Update(transaction, delivery.Id, "state = 'parked'");
            }

            transaction.Commit();
            return parked;
        }
    }

    /// <summary>Runs it again at <paramref name="at"/>; an outage retry (<paramref name="outage"/>) gives its attempt back and counts a retry instead.</summary>
    public void Retry(string id, DateTimeOffset at, string error, bool outage)
    {
        lock (_gate)
        {
            Update(null, id, outage ? "state = 'queued', attempts = MAX(attempts - 1, 0), retries = retries + 1, next_attempt = $at, last_error = $error" : "state = 'queued', next_attempt = $at, last_error = $error",
                ("$at", at.ToUnixTimeMilliseconds()), ("$error", error));
        }
    }

    /// <summary>Stopped by a shutdown, not by its own fault: queued again, its attempt given back.</summary>
    public void Requeue(string id)
    {
        lock (_gate)
        {
            Update(null, id, "state = 'queued', attempts = MAX(attempts - 1, 0)");
        }
    }

    /// <summary>Failed (outage retries used up) or parked (dead letter): the body stays, so a redelivery or `planbot queue retry` runs it again.</summary>
    public void Stop(string id, string state, string error)
    {
        lock (_gate)
        {
            Update(null, id, "state = $state, last_error = $error", ("$state", state), ("$error", error));
        }
    }

    /// <summary>Outage retries used so far.</summary>
    public int Retries(string id)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT retries FROM deliveries WHERE id = $id;";
            command.Parameters.AddWithValue("$id", id);
            return Convert.ToInt32(command.ExecuteScalar() ?? 0, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>`planbot queue retry`: a failed or parked delivery (with its body) queued again with fresh attempts; false when there is none such.</summary>
    public bool RetryNow(string id)
    {
        lock (_gate)
        {
            if (!Exists(id))
            {
                return false; // done and dropped deliveries have no body left to run
            }

            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE deliveries SET state = 'queued', attempts = 0, retries = 0, next_attempt = 0, last_error = NULL WHERE id = $id AND state IN ('failed', 'parked');";
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>`planbot queue drop`: a delivery that is not running is dropped with its body; false when there is none such.</summary>
    public bool Drop(string id)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "UPDATE deliveries SET state = 'dropped', last_error = 'dropped by an operator' WHERE id = $id AND state <> 'running';";
            command.Parameters.AddWithValue("$id", id);
            var dropped = command.ExecuteNonQuery() == 1;
            if (dropped)
            {
                DeleteBody(transaction, id);
            }

            transaction.Commit();
            return dropped;
        }
    }

    /// <summary>The queue's rows, newest first, optionally of one state.</summary>
    public IReadOnlyList<QueueEntry> List(string? state = null, int limit = 200)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT d.id, d.event, d.repo, d.pr, d.state, d.attempts, d.last_error, d.received, d.next_attempt, b.id IS NOT NULL
                FROM deliveries d LEFT JOIN bodies b ON b.id = d.id WHERE $state IS NULL OR d.state = $state ORDER BY d.rowid DESC LIMIT $limit;
                """;
            command.Parameters.AddWithValue("$state", (object?)state ?? DBNull.Value);
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            var entries = new List<QueueEntry>();
            while (reader.Read())
            {
                entries.Add(new QueueEntry(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.GetString(4), reader.GetInt32(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
                    reader.GetInt64(8) > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)) : null, reader.GetBoolean(9)));
            }

            return entries;
        }
    }

    private bool Exists(string id)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM bodies WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    private int Update(SqliteTransaction? transaction, string id, string set, params (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"UPDATE deliveries SET {set} WHERE id = $id;"; // set is ours; values are always parameters
        command.Parameters.AddWithValue("$id", id);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteNonQuery();
    }

    /// <summary>Finished: the body goes, the id stays a week so a replay is answered without running again.</summary>
    public void Complete(string id, string state = "done")
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            SetState(transaction, id, state);
            DeleteBody(transaction, id);
            transaction.Commit();
        }
    }

    public int Count(string state)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM deliveries WHERE state = $state;";
            command.Parameters.AddWithValue("$state", state);
            return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public static string KeyOf(Delivery delivery) => delivery.PullRequest is { } pr ? $"{delivery.Repo}#{pr}" : delivery.Repo;

    private void SetState(SqliteTransaction? transaction, string id, string state)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE deliveries SET state = $state WHERE id = $id;";
        command.Parameters.AddWithValue("$state", state);
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }

    private void DeleteBody(SqliteTransaction transaction, string id)
    {
        using var delete = _connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM bodies WHERE id = $id;"; // the id comes from a request header: always a parameter
        delete.Parameters.AddWithValue("$id", id);
        delete.ExecuteNonQuery();
    }

    private void Execute(SqliteTransaction? transaction, string sql)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _checkpoints.Dispose();
        Checkpoint();
        _checkpointer.Dispose();
        lock (_gate)
        {
            _connection.Dispose();
        }
    }
}
