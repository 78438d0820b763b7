using System.Collections.Concurrent;

namespace PlanBot.Terraform.Processes;

/// <summary>
/// An exclusive lock named by a file: within this process a semaphore per path (no polling), across
/// processes (the service and a CLI on one data dir) an open-exclusive lock file, which .NET takes with
/// flock on Unix and the kernel drops when the process dies, so a crashed holder never wedges it.
/// </summary>
public static class ExclusiveLock
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> InProcess = new(StringComparer.Ordinal);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static async Task<IAsyncDisposable> AcquireAsync(string lockFile, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(lockFile);
        var gate = InProcess.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            while (true)
            {
                try
                {
                    var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    return new Held(gate, file);
                }
                catch (IOException)
                {
                    // another process holds it: wait for it (cancellable), never take it over
                    await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    private sealed class Held(SemaphoreSlim gate, FileStream file) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                await file.DisposeAsync().ConfigureAwait(false);
                gate.Release();
            }
        }
    }
}
