using Microsoft.Data.Sqlite;

namespace PlanBot.Server;

/// <summary>An accepted delivery, as stored until it is handled.</summary>
public sealed record Delivery(string Id, string Event, string Repo, int? PullRequest, byte[] Body, DateTimeOffset Received);

/// <summary>
/// Accepted deliveries, persisted in SQLite under PLANBOT_DATA_DIR so a restart loses none: a
/// delivery is stored before the 202 is sent, and one that was running when the process stopped is
/// queued again at start. The delivery id is the key, so a redelivered id is refused, not run twice.
/// </summary>
public sealed class DeliveryQueue
{
    private readonly string _connectionString;

    public DeliveryQueue(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS deliveries (
              id TEXT PRIMARY KEY, event TEXT NOT NULL, repo TEXT NOT NULL, pr INTEGER NULL, body BLOB NOT NULL,
              received INTEGER NOT NULL, state TEXT NOT NULL, seq INTEGER NOT NULL);
            UPDATE deliveries SET state = 'queued' WHERE state = 'running';
            """);
    }

    /// <summary>False when this delivery id was accepted before (a replay or a redelivery).</summary>
    public bool TryEnqueue(Delivery delivery)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR IGNORE INTO deliveries VALUES ($id, $event, $repo, $pr, $body, $received, 'queued', (SELECT IFNULL(MAX(seq), 0) + 1 FROM deliveries));
            """;
        command.Parameters.AddWithValue("$id", delivery.Id);
        command.Parameters.AddWithValue("$event", delivery.Event);
        command.Parameters.AddWithValue("$repo", delivery.Repo);
        command.Parameters.AddWithValue("$pr", (object?)delivery.PullRequest ?? DBNull.Value);
        command.Parameters.AddWithValue("$body", delivery.Body);
        command.Parameters.AddWithValue("$received", delivery.Received.ToUnixTimeMilliseconds());
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>The oldest queued delivery of each work key (repo#pr, or repo) not in <paramref name="busy"/>, marked running.</summary>
    public IReadOnlyList<Delivery> TakeNext(ISet<string> busy, int max)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id, event, repo, pr, body, received FROM deliveries WHERE state = 'queued' ORDER BY seq;";
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
            SetState(connection, transaction, delivery.Id, "running");
        }

        transaction.Commit();
        return taken;
    }

    /// <summary>The newest queued pull_request delivery for the same PR as <paramref name="delivery"/>, if newer (coalescing).</summary>
    public Delivery? Newest(Delivery delivery)
    {
        if (delivery.PullRequest is null || delivery.Event != "pull_request")
        {
            return null;
        }

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, event, repo, pr, body, received FROM deliveries WHERE state = 'queued' AND repo = $repo AND pr = $pr AND event = 'pull_request' ORDER BY seq DESC LIMIT 1;";
        command.Parameters.AddWithValue("$repo", delivery.Repo);
        command.Parameters.AddWithValue("$pr", delivery.PullRequest);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new Delivery(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), (byte[])reader[4], DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))) : null;
    }

    public void Complete(string id, string state = "done")
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        SetState(connection, transaction, id, state);
        transaction.Commit();
    }

    public int Count(string state)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM deliveries WHERE state = $state;";
        command.Parameters.AddWithValue("$state", state);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string KeyOf(Delivery delivery) => delivery.PullRequest is { } pr ? $"{delivery.Repo}#{pr}" : delivery.Repo;

    private static void SetState(SqliteConnection connection, SqliteTransaction transaction, string id, string state)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE deliveries SET state = $state WHERE id = $id;";
        command.Parameters.AddWithValue("$state", state);
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
