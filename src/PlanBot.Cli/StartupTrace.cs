using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using PlanBot.Core.Ports;

namespace PlanBot.Cli;

/// <summary>
/// PLANBOT_TRACE_STARTUP=1 (<see cref="Hosting.PlanBotSettings.TraceStartup"/>): one stderr line per
/// phase with the wall time since the process started, the CPU used, the methods JIT-compiled, the
/// bytes allocated and the garbage collections so far, so the cost of start-up can be pinned on a phase (issue 19). Off, it is a null check.
/// </summary>
public sealed class StartupTrace
{
    private readonly TextWriter _stderr;
    private readonly DateTime _processStart;

    private StartupTrace(TextWriter stderr)
    {
        _stderr = stderr;
        using var self = Process.GetCurrentProcess();
        _processStart = self.StartTime.ToUniversalTime();
    }

    /// <summary>The trace when <paramref name="enabled"/>, else null (callers write <c>trace?.Mark(...)</c>).</summary>
    public static StartupTrace? Create(bool enabled, TextWriter stderr) => enabled ? new StartupTrace(stderr) : null;

    public void Mark(string phase)
    {
        var wall = (DateTime.UtcNow - _processStart).TotalMilliseconds;
        var cpu = Environment.CpuUsage.TotalTime.TotalMilliseconds;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"planbot: trace {wall,7:0.0} ms wall {cpu,7:0.0} ms cpu {JitInfo.GetCompiledMethodCount(),5} jitted ({JitInfo.GetCompilationTime().TotalMilliseconds,6:0.0} ms jit) {GC.GetTotalAllocatedBytes() / 1048576.0,6:0.0} MiB allocated {GC.CollectionCount(0),3} gc: {phase}");
        lock (_stderr)
        {
            _stderr.WriteLine(line);
        }
    }

    /// <summary>Every git call marked with its duration (what a run's start-up waits on besides itself).</summary>
    public IGit Git(IGit inner) => new TracedGit(inner, this);

    private sealed class TracedGit(IGit inner, StartupTrace trace) : IGit
    {
        public Task<string> ResolveAsync(string repoDir, string reference, CancellationToken cancellationToken) =>
            Timed($"git resolve {reference}", () => inner.ResolveAsync(repoDir, reference, cancellationToken));

        public Task<string> MergeBaseAsync(string repoDir, string a, string b, CancellationToken cancellationToken) =>
            Timed("git merge-base", () => inner.MergeBaseAsync(repoDir, a, b, cancellationToken));

        public Task<IReadOnlyList<ChangedFile>> DiffAsync(string repoDir, string fromSha, string toSha, CancellationToken cancellationToken) =>
            Timed("git diff", () => inner.DiffAsync(repoDir, fromSha, toSha, cancellationToken));

        public Task<string?> ShowFileAsync(string repoDir, string sha, string path, CancellationToken cancellationToken) =>
            Timed($"git show {path}", () => inner.ShowFileAsync(repoDir, sha, path, cancellationToken));

        public Task<(string Path, string Text)?> ShowFirstFileAsync(string repoDir, string sha, IReadOnlyList<string> paths, CancellationToken cancellationToken) =>
            Timed($"git show-first {string.Join(' ', paths)}", () => inner.ShowFirstFileAsync(repoDir, sha, paths, cancellationToken));

        public Task<(string Path, string Text)?> ShowFirstFileAsync(string repoDir, string sha, IReadOnlyList<string> paths, IReadOnlyList<string> verify, CancellationToken cancellationToken) =>
            Timed($"git show-first {string.Join(' ', paths)} verifying {verify.Count}", () => inner.ShowFirstFileAsync(repoDir, sha, paths, verify, cancellationToken));

        public Task<string?> FirstRefAsync(string repoDir, IReadOnlyList<string> fullRefs, CancellationToken cancellationToken) =>
            Timed($"git first-ref {string.Join(' ', fullRefs)}", () => inner.FirstRefAsync(repoDir, fullRefs, cancellationToken));

        private async Task<T> Timed<T>(string what, Func<Task<T>> call)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return await call().ConfigureAwait(false);
            }
            finally
            {
                trace.Mark($"{what} ({Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms)");
            }
        }
    }
}
