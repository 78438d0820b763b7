using Microsoft.Extensions.Hosting;
using PlanBot.Core.Ports;

namespace PlanBot.Server;

/// <summary>
/// The service's drift checks: each repository's default branch, once at start and then every
/// interval. With N replicas (<paramref name="shared"/>: their lease store) each interval's check of a
/// repository runs on one replica only: the first to record the interval's slot
/// (<see cref="DriftSlots"/>); the others skip it, so N replicas neither plan everything N times nor
/// race to open the same drift issue.
/// </summary>
public sealed class DriftSchedule(DeliveryHandler handler, IReadOnlyList<string> repos, string cloneBase, TimeSpan interval, IProgress<string> progress,
    ILeaseStore? shared = null, TimeProvider? time = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time ?? TimeProvider.System);
        do
        {
            // one slot per tick, taken before the first check: a long check of one repository must not push the next into the following slot
            var tick = (time ?? TimeProvider.System).GetUtcNow();
            foreach (var repo in repos)
            {
                try
                {
                    if (shared is not null && !await DriftSlots.TryClaimAsync(shared, repo, tick, interval, stoppingToken).ConfigureAwait(false))
                    {
                        progress.Report($"drift {repo}: another replica checks it this interval");
                        continue;
                    }

                    await handler.DriftAsync(repo, $"{cloneBase.TrimEnd('/')}/{repo}.git", stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // one repository's failed check must not stop the others or the service
                catch (Exception e)
                {
                    progress.Report($"drift {repo}: the check failed ({e.Message}); next try in {interval}");
                }
#pragma warning restore CA1031
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

/// <summary>
/// One drift check per repository and interval across replicas: time is cut into slots of one
/// interval (counted from the Unix epoch, so every replica cuts it alike whenever it started) and a
/// replica checks a repository only when it is the first to record that slot in the shared lease
/// store. Every replica ticks once per interval, so every slot is claimed by one of them; a replica
/// that dies mid-check loses that slot's check, and the next slot's runs as usual.
/// </summary>
public static class DriftSlots
{
    public static string IdOf(string repo, DateTimeOffset at, TimeSpan interval) =>
        $"drift:{repo}:{at.ToUnixTimeMilliseconds() / Math.Max(1L, (long)interval.TotalMilliseconds)}";

    public static Task<bool> TryClaimAsync(ILeaseStore leases, string repo, DateTimeOffset at, TimeSpan interval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        return leases.TryRecordAsync(IdOf(repo, at, interval), interval * 2, cancellationToken);
    }
}
