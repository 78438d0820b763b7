using Microsoft.Extensions.Hosting;

namespace PlanBot.Server;

/// <summary>The service's drift checks: each repository's default branch, once at start and then every interval.</summary>
public sealed class DriftSchedule(DeliveryHandler handler, IReadOnlyList<string> repos, string cloneBase, TimeSpan interval, IProgress<string> progress) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            foreach (var repo in repos)
            {
                try
                {
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
