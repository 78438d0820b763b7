using System.Diagnostics;
using System.Text;

namespace PlanBot.Terraform.Processes;

public sealed record ProcessSpec
{
    public required string FileName { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];
    public required string WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
    /// <summary>stdout and stderr are appended here as they arrive; null keeps only the tails.</summary>
    public string? LogFile { get; init; }
    /// <summary>stdout alone is written here (e.g. show -json), instead of the log.</summary>
    public string? StdoutFile { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
}

public sealed record ProcessOutcome(int ExitCode, bool TimedOut, bool Cancelled, bool NotFound, string StdoutTail, string StderrTail, TimeSpan Duration);

/// <summary>
/// Runs a child process with its output streamed to files (never unbounded in memory: only the last
/// 64 KiB of each stream are kept), a timeout, and the whole process tree killed on timeout or cancel.
/// </summary>
public static class ChildProcess
{
    private const int TailChars = 64 * 1024;

    public static async Task<ProcessOutcome> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(spec.FileName)
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in spec.Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key); // withheld (ProjectEnvironment): not even an empty variable
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var started = Stopwatch.GetTimestamp();
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessOutcome(-1, false, false, true, "", $"cannot start '{spec.FileName}': {e.Message}", TimeSpan.Zero);
        }

        process.StandardInput.Close(); // never wait for input: -input=false plus a closed stdin

        await using var log = spec.LogFile is null ? null : new StreamWriter(PrivateFile.OpenWrite(spec.LogFile, FileMode.Append), Encoding.UTF8);
        await using var stdoutFile = spec.StdoutFile is null ? null : new StreamWriter(PrivateFile.OpenWrite(spec.StdoutFile, FileMode.Create), new UTF8Encoding(false));
        log?.WriteLine($"$ {spec.FileName} {string.Join(' ', spec.Arguments)}   (in {spec.WorkingDirectory})");
        var gate = new SemaphoreSlim(1, 1);
        var stdoutTail = new Tail(TailChars);
        var stderrTail = new Tail(TailChars);
        var pumpOut = PumpAsync(process.StandardOutput, stdoutFile ?? log, stdoutTail, gate);
        var pumpErr = PumpAsync(process.StandardError, log, stderrTail, gate);

        using var timeout = new CancellationTokenSource(spec.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var timedOut = false;
        var cancelled = false;
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            cancelled = !timedOut;
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await Task.WhenAll(pumpOut, pumpErr).ConfigureAwait(false);
        if (timedOut || cancelled)
        {
            log?.WriteLine(timedOut ? $"planbot: killed after the {spec.Timeout} timeout" : "planbot: killed on cancel");
        }

        return new ProcessOutcome(process.ExitCode, timedOut, cancelled, false, stdoutTail.ToString(), stderrTail.ToString(), Stopwatch.GetElapsedTime(started));
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    private static async Task PumpAsync(StreamReader reader, StreamWriter? sink, Tail tail, SemaphoreSlim gate)
    {
        var buffer = new char[16 * 1024];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
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
