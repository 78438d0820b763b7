using PlanBot.Core.Config;
using PlanBot.Core.Events;
using PlanBot.Core.Workflows;
using PlanBot.GitHub.Webhooks;
using PlanBot.Hosting;

namespace PlanBot.Server;

/// <summary>
/// The service's work for one delivery: the engine's event, dispatched like the Action's
/// (<see cref="EventDispatcher"/>), in the service's checkouts (per-PR clones under
/// PLANBOT_DATA_DIR/workspaces). The run's plan files are deleted when it ends.
/// </summary>
public sealed class DeliveryHandler(EventDispatcher dispatcher, PlanBotSettings settings, IProgress<string> progress) : IDeliveryHandler
{
    public async Task HandleAsync(Delivery delivery, WebhookEvent parsed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(parsed);
        if (parsed is WebhookEvent.Scheduled)
        {
            progress.Report($"{delivery.Event} for {parsed.Repo}: not handled by the service");
            return;
        }

        var runId = delivery.RunId is { Length: > 0 } stable ? stable : $"serve-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]; // the queue's: a re-run after a crash holds its dead run's leases
        try
        {
            await dispatcher.DispatchAsync(GitHubEvents.ToEvent(parsed, GitHubEvents.CloneUrl(delivery.Body)), new EventRun(runId), cancellationToken).ConfigureAwait(false);
        }
        catch (ConfigException e)
        {
            // told on the PR (comment and failed gate) by the dispatcher; the same commit fails the same way,
            // so it is done, not retried into a dead letter that would overwrite the file:line message
            progress.Report($"delivery {delivery.Id} ({delivery.Event} for {parsed.Repo}{(parsed.PullRequestNumber is { } n ? $"#{n}" : "")}): planbot.yaml is invalid, not retried: {e.Message.Split('\n')[0].TrimEnd('\r')}");
        }
        finally
        {
            DeleteRunFiles(runId);
        }
    }

    /// <summary>The service's scheduled drift check of one repository's default branch, and its drift issue.</summary>
    public async Task DriftAsync(string repo, string cloneUrl, CancellationToken cancellationToken)
    {
        var runId = $"serve-drift-{Environment.ProcessId}";
        try
        {
            await dispatcher.DispatchAsync(new PlanBotEvent.DriftCheck(repo, cloneUrl), new EventRun(runId), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            DeleteRunFiles(runId);
        }
    }

    /// <summary>
    /// Plan files hold secrets in plain text and nothing reads them after the delivery that made them
    /// (an apply uses the plan of its own re-plan), so they do not stay on the service's disk.
    /// </summary>
    private void DeleteRunFiles(string runId)
    {
        var runs = Path.Combine(settings.DataDir, "runs");
        if (!Directory.Exists(runs))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(runs, "*-" + RunPlanner.RunDirSuffix(runId)))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException e)
            {
                progress.Report($"could not delete the plan files in {dir}: {e.Message}");
            }
        }
    }
}
