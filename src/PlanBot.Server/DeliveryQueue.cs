using Microsoft.Data.Sqlite;

namespace PlanBot.Server;

/// <summary>An accepted delivery, as stored until it is handled.</summary>
public sealed record Delivery(string Id, string Event, string Repo, int? PullRequest, byte[] Body, DateTimeOffset Received);

/// <summary>
/// Accepted deliveries, persisted in SQLite under PLANBOT_DATA_DIR so a restart loses none: a
/// delivery is stored before the 202 is sent, and one that was running when the process stopped is
/// queued again at start. The delivery id is the key, so a redelivered id is refused, not run twice.
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
            UPDATE deliveries SET state = 'queued' WHERE state = 'running';
            DELETE FROM deliveries WHERE state NOT IN ('queued', 'running') AND received < (strftime('%s', 'now') - 7 * 86400) * 1000;
            """);

        // Checkpoints copy the WAL into the database; done here, on a connection of their own and
        // outside the lock, they never stall an accepting request (PASSIVE waits for no one).
        _checkpointer = new SqliteConnection(_connection.ConnectionString);
        _checkpointer.Open();
        _checkpoints = new Timer(_ => Checkpoint(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
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
    /// Stores a delivery; false when its id was accepted before (a replay or a redelivery). Concurrent
    /// callers share one transaction (group commit): under a burst, one commit stores many deliveries.
    /// </summary>
    public async Task<bool> TryEnqueueAsync(Delivery delivery)
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
        public TaskCompletionSource<bool> Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>One delivery into the batch's transaction; false when its id is known already.</summary>
    private bool Insert(SqliteTransaction transaction, Delivery delivery)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR IGNORE INTO deliveries VALUES ($id, $event, $repo, $pr, $received, 'queued');";
        command.Parameters.AddWithValue("$id", delivery.Id);
        command.Parameters.AddWithValue("$event", delivery.Event);
        command.Parameters.AddWithValue("$repo", delivery.Repo);
        command.Parameters.AddWithValue("$pr", (object?)delivery.PullRequest ?? DBNull.Value);
        command.Parameters.AddWithValue("$received", delivery.Received.ToUnixTimeMilliseconds());
        if (command.ExecuteNonQuery() != 1)
        {
            return false;
        }

        using var body = _connection.CreateCommand();
        body.Transaction = transaction;
        body.CommandText = "INSERT INTO bodies VALUES ($id, $body);";
        body.Parameters.AddWithValue("$id", delivery.Id);
        body.Parameters.AddWithValue("$body", delivery.Body);
        body.ExecuteNonQuery();
        return true;
    }

    /// <summary>
    /// The oldest queued delivery of each work key (repo#pr, or repo) not in <paramref name="busy"/>,
    /// marked running. Pushes superseded by a newer queued push to the same PR are marked superseded
    /// first: an older head needs no plan.
    /// </summary>
    public IReadOnlyList<Delivery> TakeNext(ISet<string> busy, int max)
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
                SELECT d.id, d.event, d.repo, d.pr, b.body, d.received FROM deliveries d JOIN bodies b ON b.id = d.id
                WHERE d.rowid IN (SELECT MIN(rowid) FROM deliveries WHERE state = 'queued' GROUP BY repo, pr) ORDER BY d.rowid;
                """;
            var taken = new List<Delivery>();
            var keys = new HashSet<string>(busy, StringComparer.Ordinal);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read() && taken.Count < max)
                {
                    var delivery = new Delivery(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt32(3), (byte[])reader[4], DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)));
                    if (keys.Add(KeyOf(delivery)))
                    {
                        taken.Add(delivery);
                    }
                }
            }

            foreach (var delivery in taken)
            {
                SetState(transaction, delivery.Id, "running");
            }

            transaction.Commit();
            return taken;
        }
    }

    /// <summary>Finished (done or failed): the body goes, the id stays a week to refuse redeliveries.</summary>
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
