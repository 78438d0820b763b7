using System.Diagnostics;
using PlanBot.Core.Ports;
using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Local.Tests.Locks;

/// <summary>A run lease held by another process: kept alive by renewals, and free soon after that process is killed.</summary>
public sealed class RunLeaseTests : IDisposable
{
    private readonly TempDir _dir = new("planbot-run-lease");

    [Fact]
    public async Task A_run_lock_whose_holder_is_killed_with_sigkill_expires_by_itself()
    {
        var db = _dir.Combine("locks.db");
        var store = new SqliteLockStore(db, TimeProvider.System);
        var key = new LockKey(LockKind.Run, "acme/infra", "app", "default");
        var waiter = new LockOwner("acme/infra", 2, "sha", "waiter", "run-waiter");
        const double ttl = 1.5;

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PlanBot.LockHolder.dll"));
        info.ArgumentList.Add(db);
        info.ArgumentList.Add(ttl.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var holder = Process.Start(info)!;
        try
        {
            (await holder.StandardOutput.ReadLineAsync()).ShouldBe("held");
            await Task.Delay(TimeSpan.FromSeconds(ttl * 2)); // longer than the TTL: only renewals keep it
            (await store.AcquireAsync(key, waiter, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeOfType<LockResult.HeldBy>().Owner.RunId.ShouldBe("run-holder");
        }
        finally
        {
            holder.Kill(); // SIGKILL on Linux: no dispose, no release, no more renewals
            await holder.WaitForExitAsync();
        }

        var watch = Stopwatch.StartNew();
        LockResult result;
        do
        {
            await Task.Delay(100);
            result = await store.AcquireAsync(key, waiter, TimeSpan.FromSeconds(30), CancellationToken.None);
        }
        while (result is LockResult.HeldBy && watch.Elapsed < TimeSpan.FromSeconds(10));

        result.ShouldBeOfType<LockResult.Acquired>();
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(ttl + 1), "the lease ends within its TTL of the last renewal");
    }

    public void Dispose() => _dir.Dispose();
}
