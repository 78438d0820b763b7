using System.Security.Cryptography;

namespace PlanBot.Cli;

/// <summary>
/// Does on a pool thread, while a PR run's start waits on git and GitHub, two first uses that would
/// otherwise land on the run's critical path (issue 19):
/// <list type="bullet">
/// <item>the runtime's timer thread: the first timer (a git or HTTP timeout) starts it, and the thread
/// that starts a thread waits until it runs; on a busy 2-core runner that wait was milliseconds of the
/// main thread's way to the first git;</item>
/// <item>the system's crypto library (OpenSSL, which .NET uses for every hash on Linux): the run hashes
/// before its first terraform (each project's artifacts dir is named with a SHA-256), and loading and
/// initialising libssl and libcrypto cost that first hash ~6 ms. Nothing is hashed here but an empty input.</item>
/// </list>
/// </summary>
internal static class WarmUp
{
    public static void Start() =>
        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
        {
            // a due time far off, cancelled at once: it starts the timer thread and never fires
            using (new Timer(static _ => { }, null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan))
            {
            }

            try
            {
                SHA256.HashData(ReadOnlySpan<byte>.Empty);
            }
#pragma warning disable CA1031 // a broken crypto library fails the run where it hashes, with its one-line error; not on this thread
            catch (Exception)
            {
            }
#pragma warning restore CA1031
        }, null);
}
