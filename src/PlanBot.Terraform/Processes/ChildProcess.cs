using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace PlanBot.Terraform.Processes;

public sealed record ProcessSpec
{
    public required string FileName { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];
    public required string WorkingDirectory { get; init; }
    /// <summary>The environment the child starts from (the runner snapshot PlanBotSettings took); null: this process's own.</summary>
    public IReadOnlyDictionary<string, string>? Inherited { get; init; }
    /// <summary>Names removed from what the child inherits, before <see cref="Environment"/> applies (an explicit value still wins).</summary>
    public Func<string, bool>? Withhold { get; init; }
    /// <summary>Changes on top of what is inherited: a value sets, null removes.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
    /// <summary>stdout and stderr are appended here as they arrive; null keeps only the tails.</summary>
    public string? LogFile { get; init; }
    /// <summary>stdout alone is written here (e.g. show -json), instead of the log.</summary>
    public string? StdoutFile { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>
    /// Run the child in a session of its own (<c>posix_spawn</c>'s <c>POSIX_SPAWN_SETSID</c>, or the <c>setsid</c>
    /// hop where that is missing), so a timeout or cancel reaches everything it started. False for a short
    /// local query that starts nothing (git rev-parse, merge-base, for-each-ref…): where the <c>setsid</c> hop
    /// is used it costs each child a dynamic load and locale set-up (issue 19), and the child's own tree is
    /// still killed on timeout.
    /// </summary>
    public bool OwnSession { get; init; } = true;
}

public sealed record ProcessOutcome(int ExitCode, bool TimedOut, bool Cancelled, bool NotFound, string StdoutTail, string StderrTail, TimeSpan Duration)
{
    /// <summary>The timeout the step ran under, so a timed-out result can name it.</summary>
    public TimeSpan Limit { get; init; }

    /// <summary>
    /// True when the output pipes were still held open by a process that escaped the child's tree
    /// after the child exited; PlanBot stopped reading them rather than wait for that process.
    /// </summary>
    public bool PipesAbandoned { get; init; }
}

/// <summary>
/// Runs a child process with its output streamed to files (never unbounded in memory: only the last
/// 64 KiB of each stream are kept), a timeout, and the whole process group and tree killed on timeout
/// or cancel. On Linux a child with <see cref="ProcessSpec.OwnSession"/> runs in its own session
/// (<see cref="StartedChild"/>), so one signal reaches every process it started, including ones re-parented
/// to init; a process that made its own session and keeps the output pipes open is not waited for beyond
/// <see cref="PipeGrace"/>.
/// </summary>
public static class ChildProcess
{
    private const int TailChars = 64 * 1024;

    /// <summary>How long output is still read after the child exited or was killed.</summary>
    public static TimeSpan PipeGrace { get; } = TimeSpan.FromSeconds(3);

    public static async Task<ProcessOutcome> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        var environment = ChildEnvironment(spec);
        var executable = StartedChild.Resolve(spec.FileName, spec.WorkingDirectory, environment.GetValueOrDefault("PATH"));
        if (executable is null)
        {
            return new ProcessOutcome(-1, false, false, true, "", $"cannot start '{spec.FileName}': not found on PATH", TimeSpan.Zero) { Limit = spec.Timeout };
        }

        var started = Stopwatch.GetTimestamp();
        StartedChild child;
        try
        {
            child = await StartedChild.StartAsync(executable, spec.Arguments, environment, spec.WorkingDirectory, spec.OwnSession, standardInput: false, cancellationToken).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessOutcome(-1, false, false, true, "", $"cannot start '{spec.FileName}': {e.Message}", TimeSpan.Zero);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ProcessOutcome(-1, false, true, false, "", "planbot: cancelled before it started", TimeSpan.Zero) { Limit = spec.Timeout };
        }

        using var owned = child;
        await using var log = spec.LogFile is null ? null : new StreamWriter(PrivateFile.OpenWrite(spec.LogFile, FileMode.Append), Encoding.UTF8);
        await using var stdoutFile = spec.StdoutFile is null ? null : PrivateFile.OpenWrite(spec.StdoutFile, FileMode.Create);
        log?.WriteLine($"$ {spec.FileName} {string.Join(' ', spec.Arguments)}   (in {spec.WorkingDirectory})");
        var gate = new SemaphoreSlim(1, 1);
        var stdoutTail = new Tail(TailChars);
        var stderrTail = new Tail(TailChars);
        using var stopReading = new CancellationTokenSource();
        // stdout to its own file (show -json: tens of MB) is copied as bytes, never decoded and re-encoded (issue 19)
        var pumpOut = stdoutFile is null
            ? PumpAsync(child.StandardOutput, log, stdoutTail, gate, stopReading.Token)
            : CopyAsync(child.StandardOutput.BaseStream, stdoutFile, stdoutTail, stopReading.Token);
        var pumpErr = PumpAsync(child.StandardError, log, stderrTail, gate, stopReading.Token);

        using var timeout = new CancellationTokenSource(spec.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var timedOut = false;
        var cancelled = false;
        try
        {
            await child.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            cancelled = !timedOut;
            child.KillGroup();
            child.KillTree();
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        // The pipes reach end of file when every process holding them has exited. A process that
        // escaped the tree (its own session, re-parented to init) can hold them for hours: read for a
        // short grace, then stop, and end whatever is left of the child's process group.
        var pipesAbandoned = false;
        var pumps = Task.WhenAll(pumpOut, pumpErr);
        try
        {
            await pumps.WaitAsync(PipeGrace, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            pipesAbandoned = true;
            child.KillGroup();
            await stopReading.CancelAsync().ConfigureAwait(false);
            try
            {
                await pumps.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                // the reads are abandoned; the process's streams are closed when it is disposed
            }
        }

        if (!timedOut && !cancelled)
        {
            child.KillGroup(); // leftovers of a finished step (background children) end with it
        }

        await gate.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false); // no pump writes to the log past this point
        if (timedOut || cancelled)
        {
            log?.WriteLine(timedOut ? $"planbot: killed after the {spec.Timeout} timeout" : "planbot: killed on cancel");
        }

        if (pipesAbandoned)
        {
            log?.WriteLine($"planbot: stopped reading output {PipeGrace.TotalSeconds:0} s after the process ended: a process it started still held the output open");
        }

        return new ProcessOutcome(child.ExitCode, timedOut, cancelled, false, stdoutTail.ToString(), stderrTail.ToString(), Stopwatch.GetElapsedTime(started))
        {
            Limit = spec.Timeout,
            PipesAbandoned = pipesAbandoned,
        };
    }

    /// <summary>
    /// The child's environment block: <see cref="ProcessSpec.Inherited"/> when given, else this process's
    /// environment, stripped of <see cref="ProcessSpec.Withhold"/>'s names, then <see cref="ProcessSpec.Environment"/>'s
    /// changes. PlanBot reads no setting here: this is only what the child gets.
    /// </summary>
    private static Dictionary<string, string?> ChildEnvironment(ProcessSpec spec)
    {
        var child = StartedChild.EnvironmentFrom(spec.Inherited);
        if (spec.Withhold is { } withhold)
        {
            foreach (var key in child.Keys.Where(withhold).ToArray())
            {
                child.Remove(key);
            }
        }

        foreach (var (key, value) in spec.Environment)
        {
            if (value is null)
            {
                child.Remove(key); // withheld (ProjectEnvironment): not even an empty variable
            }
            else
            {
                child[key] = value;
            }
        }

        return child;
    }

    private static async Task PumpAsync(StreamReader reader, StreamWriter? sink, Tail tail, SemaphoreSlim gate, CancellationToken stop)
    {
        // pooled: a run starts ~3 processes per project, each with two pumps (issue 19: fresh buffers were GC work)
        var buffer = ArrayPool<char>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await ReadAsync(reader, buffer, stop).ConfigureAwait(false)) > 0)
            {
                tail.Append(buffer.AsSpan(0, read));
                if (sink is not null)
                {
                    await gate.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        await sink.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer, clearArray: true); // terraform output can hold secrets: the next renter must not see them
        }
    }

    /// <summary>stdout copied byte for byte to <paramref name="sink"/>; only its last <see cref="TailChars"/> bytes are kept as text (for diagnostics).</summary>
    private static async Task CopyAsync(Stream source, FileStream sink, Tail tail, CancellationToken stop)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var last = new byte[TailChars];
        var kept = 0;
        try
        {
            int read;
            while ((read = await ReadAsync(source, buffer, stop).ConfigureAwait(false)) > 0)
            {
                await sink.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None).ConfigureAwait(false);
                if (read >= last.Length)
                {
                    buffer.AsSpan(read - last.Length, last.Length).CopyTo(last);
                    kept = last.Length;
                }
                else
                {
                    var keep = Math.Min(kept, last.Length - read);
                    last.AsSpan(kept - keep, keep).CopyTo(last);
                    buffer.AsSpan(0, read).CopyTo(last.AsSpan(keep));
                    kept = keep + read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true); // `show -json` holds sensitive values in clear
        }

        await sink.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        tail.Append(Encoding.UTF8.GetString(last, 0, kept)); // a character cut at the start of the tail decodes as U+FFFD
    }

    private static async Task<int> ReadAsync(Stream source, byte[] buffer, CancellationToken stop)
    {
        try
        {
            return await source.ReadAsync(buffer.AsMemory(), stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    private static async Task<int> ReadAsync(StreamReader reader, char[] buffer, CancellationToken stop)
    {
        try
        {
            return await reader.ReadAsync(buffer.AsMemory(), stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    /// <summary>The last N characters written.</summary>
    private sealed class Tail(int capacity)
    {
        private readonly StringBuilder _text = new();

        public void Append(ReadOnlySpan<char> chunk)
        {
            lock (_text)
            {
                _text.Append(chunk);
                if (_text.Length > capacity * 2)
                {
                    _text.Remove(0, _text.Length - capacity);
                }
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.Length > capacity ? _text.ToString(_text.Length - capacity, capacity) : _text.ToString();
            }
        }
    }
}
