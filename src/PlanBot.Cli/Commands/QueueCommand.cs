using System.CommandLine;
using PlanBot.Core.Workflows;
using PlanBot.Server;
using PlanBot.Core.Common;

namespace PlanBot.Cli.Commands;

/// <summary>
/// `planbot queue list|retry|drop`: the webhook service's delivery queue (PLANBOT_DATA_DIR/state/queue.db)
/// for operators. Safe while `serve` runs (SQLite WAL; the service picks a retried delivery up at its
/// next poll).
/// </summary>
public static class QueueCommand
{
    public static Command Create(CliContext cli)
    {
        var command = new Command("queue", "The webhook service's deliveries: list, retry a failed or parked one, drop one");
        var state = new Option<string?>("--state") { Description = "Only deliveries in this state: queued, running, done, superseded, failed, parked, dropped" };
        var limit = new Option<int>("--limit") { Description = "At most this many, newest first", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "List deliveries, newest first, with their attempts and last error") { state, limit };
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var queue = Open(cli.Settings);
            var entries = queue.List(parse.GetValue(state), Math.Clamp(parse.GetValue(limit), 1, 10_000));
            await cli.Stdout.WriteLineAsync(entries.Count == 0 ? "no deliveries" : $"{"DELIVERY",-38} {"EVENT",-14} {"FOR",-32} {"STATE",-10} {"TRIES",5}  {"RECEIVED",-19}  LAST ERROR").ConfigureAwait(false);
            foreach (var e in entries)
            {
                var target = e.PullRequest is { } pr ? $"{e.Repo}#{pr}" : e.Repo;
                var next = e.State == "queued" && e.NextAttempt is { } at ? $" (next try {at:yyyy-MM-dd HH:mm:ss})" : "";
                await cli.Stdout.WriteLineAsync($"{e.Id,-38} {e.Event,-14} {target,-32} {e.State,-10} {e.Attempts,5}  {e.Received:yyyy-MM-dd HH:mm:ss}  {OneLine(e.LastError)}{next}".TrimEnd()).ConfigureAwait(false);
            }

            return 0;
        });

        var id = new Argument<string>("delivery") { Description = "The delivery id (X-GitHub-Delivery), as `planbot queue list` shows it" };
        var retry = new Command("retry", "Queue a failed or parked delivery again, with fresh attempts") { id };
        retry.SetAction(async (parse, cancellationToken) =>
        {
            using var queue = Open(cli.Settings);
            var delivery = parse.GetValue(id)!;
            if (!queue.RetryNow(delivery))
            {
                throw new UsageException($"delivery {delivery}: not failed or parked (or unknown); `planbot queue list --state parked` shows the ones that can be retried");
            }

            await cli.Stdout.WriteLineAsync($"delivery {delivery}: queued again; the running service takes it at its next poll").ConfigureAwait(false);
            return 0;
        });

        var drop = new Command("drop", "Drop a delivery that is not running (its body goes; GitHub's Redeliver can still bring it back)") { id };
        drop.SetAction(async (parse, cancellationToken) =>
        {
            using var queue = Open(cli.Settings);
            var delivery = parse.GetValue(id)!;
            if (!queue.Drop(delivery))
            {
                throw new UsageException($"delivery {delivery}: unknown or running; wait for it to end, or stop the service first");
            }

            await cli.Stdout.WriteLineAsync($"delivery {delivery}: dropped").ConfigureAwait(false);
            return 0;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(retry);
        command.Subcommands.Add(drop);
        return command;
    }

    /// <summary>The service's queue; opening it never creates one where the service never ran.</summary>
    private static DeliveryQueue Open(PlanBot.Hosting.PlanBotSettings settings)
    {
        if (settings.Service.QueueBackend != "sqlite")
        {
            throw new UsageException($"PLANBOT_QUEUE_BACKEND={settings.Service.QueueBackend}: `planbot queue` reads the embedded SQLite queue of one replica; on a shared queue a given-up delivery is said on its PR and in the log, and GitHub's Redeliver (the webhook's Recent Deliveries) runs it again");
        }

        var file = Path.Combine(settings.DataDir, "state", "queue.db");
        return File.Exists(file)
            ? new DeliveryQueue(file)
            : throw new UsageException($"no delivery queue at {file}: set PLANBOT_DATA_DIR to the directory `planbot serve` uses");
    }

    private static string OneLine(string? text) => text is null ? "" : text.ReplaceLineEndings(" ") is { Length: > 120 } long_ ? long_[..119] + "…" : text.ReplaceLineEndings(" ");
}
