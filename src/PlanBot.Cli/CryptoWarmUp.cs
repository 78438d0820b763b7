using System.Security.Cryptography;

namespace PlanBot.Cli;

/// <summary>
/// Loads the system's crypto library (OpenSSL, which .NET uses for every hash on Linux) on a pool thread
/// while a PR run's start waits on git and GitHub (issue 19). The run hashes before its first terraform
/// (each project's artifacts dir is named with a SHA-256), and loading and initialising libssl and
/// libcrypto cost that first hash ~6 ms on the critical path. Nothing is hashed here but an empty input.
/// </summary>
internal static class CryptoWarmUp
{
    public static void Start() =>
        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
        {
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
