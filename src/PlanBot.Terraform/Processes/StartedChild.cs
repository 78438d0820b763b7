using System.Diagnostics;
using System.Text;

namespace PlanBot.Terraform.Processes;

/// <summary>
/// A started child process with its pipes, for <see cref="ChildProcess"/> and git's <c>cat-file</c> batch: a
/// <see cref="SpawnedChild"/> where <c>posix_spawn</c> can start it (Linux, glibc 2.29+), else .NET's
/// <see cref="Process"/>, behind <c>/usr/bin/setsid</c> when it needs a session of its own. One place
/// decides how every child starts, so no caller reaches for <see cref="Process"/> on the run's way to its
/// first terraform (issue 19).
/// </summary>
internal sealed class StartedChild : IDisposable
{
    private const string SetSid = "/usr/bin/setsid";
    private const int TextFileBusy = 26; // ETXTBSY (Linux)
    private const int BusyAttempts = 20; // 5, 10, … 95 ms apart: ~1 s

    private static readonly ReaderWriterLockSlim ExecutableWrites = new(LockRecursionPolicy.NoRecursion);


    private readonly Process? _process;
    private readonly SpawnedChild? _spawned;

    private StartedChild(Process process, bool ownGroup, bool standardInput)
    {
        _process = process;
        OwnGroup = ownGroup;
        StandardInput = standardInput ? process.StandardInput.BaseStream : null;
        StandardOutput = process.StandardOutput;
        StandardError = process.StandardError;
    }

    private StartedChild(SpawnedChild spawned, bool ownGroup)
    {
        _spawned = spawned;
        OwnGroup = ownGroup;
        StandardInput = spawned.StandardInput;
        // as Process reads its pipes: UTF-8, 4 KiB reads
        StandardOutput = new StreamReader(spawned.StandardOutput, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 4096);
        StandardError = new StreamReader(spawned.StandardError, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 4096);
    }

    public int Id => _process?.Id ?? _spawned!.Id;

    /// <summary>The child leads a process group of its own (its pid), which a group kill reaches whole.</summary>
    public bool OwnGroup { get; }

    /// <summary>The child's stdin, when it was started with one PlanBot writes; null: it is closed (or /dev/null).</summary>
    public Stream? StandardInput { get; }

    public StreamReader StandardOutput { get; }

    public StreamReader StandardError { get; }

    public int ExitCode => _process?.ExitCode ?? _spawned!.Exited.Result;

    /// <summary>
    /// Starts <paramref name="executable"/> (resolved by <see cref="Resolve"/>) in <paramref name="workingDirectory"/>
    /// with exactly <paramref name="environment"/>; <paramref name="ownSession"/>: in a session of its own where
    /// this system can make one; <paramref name="standardInput"/>: stdin on a pipe PlanBot writes, else at end of
    /// file (/dev/null, or a pipe closed at once).
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The child could not be started.</exception>
    public static Task<StartedChild> StartAsync(string executable, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, string workingDirectory, bool ownSession, bool standardInput, CancellationToken cancellationToken) =>
        StartAsync(executable, arguments, environment, workingDirectory, ownSession, standardInput, spawn: SpawnedChild.Supported, cancellationToken);

    /// <param name="spawn">With <c>posix_spawn</c>; false: with <see cref="Process"/> (tests reach the fallback through it).</param>
    internal static async Task<StartedChild> StartAsync(string executable, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, string workingDirectory, bool ownSession, bool standardInput, bool spawn, CancellationToken cancellationToken)
    {
        // ETXTBSY: the executable is still open for writing somewhere. PlanBot's own installs cannot cause it
        // (ExecutableWritten), but a program some other writer has just finished can be, for a moment, in a child
        // that writer's process is starting at that instant (each child holds a copy of its parent's open files
        // until its exec closes them). That passes within milliseconds: try again, for about a second in all,
        // before telling it. (Through the setsid hop the hop itself reports it, as exit code 126.)
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return StartOnce(executable, arguments, environment, workingDirectory, ownSession, standardInput, spawn);
            }
            catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == TextFileBusy && attempt < BusyAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Called once PlanBot has closed a program it wrote (a terraform it installs) and before anything runs it: waits
    /// until every child start in flight has finished. A child started while the program was open for writing holds a
    /// copy of that descriptor until its exec, and running the program meanwhile fails with ETXTBSY; a start returns
    /// only after its child's exec (vfork, or Process's exec pipe), so once the starts in flight are done no copy is
    /// left, and a start that begins now never sees the descriptor. The write itself holds nothing up.
    /// </summary>
    public static void ExecutableWritten()
    {
        ExecutableWrites.EnterWriteLock(); // waits for the starts in flight (readers); new ones wait the moment it is held
        ExecutableWrites.ExitWriteLock();
    }

    /// <summary>Holds the start lock as a start in flight does (tests: <see cref="ExecutableWritten"/> waits for it). Release it on the same thread.</summary>
    internal static IDisposable StartInFlight()
    {
        ExecutableWrites.EnterReadLock();
        return new ReadHeld();
    }

    private static StartedChild StartOnce(string executable, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, string workingDirectory, bool ownSession, bool standardInput, bool spawn)
    {
        ExecutableWrites.EnterReadLock();
        try
        {
            return spawn
                ? new StartedChild(SpawnedChild.Start(executable, arguments, environment, workingDirectory, ownSession, standardInput), ownSession)
                : StartProcess(executable, arguments, environment, workingDirectory, ownSession, standardInput);
        }
        finally
        {
            ExecutableWrites.ExitReadLock();
        }
    }

    private static StartedChild StartProcess(string executable, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, string workingDirectory, bool ownSession, bool standardInput)
    {
        var ownGroup = ownSession && OperatingSystem.IsLinux() && File.Exists(SetSid);
        var info = new ProcessStartInfo
        {
            FileName = ownGroup ? SetSid : executable,
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (ownGroup)
        {
            info.ArgumentList.Add(executable); // setsid execs it: same pid, same exit code, its own process group
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        if (!standardInput)
        {
            process.StandardInput.Close(); // -input=false plus a closed stdin
        }

        return new StartedChild(process, ownGroup, standardInput);
    }

    /// <summary>
    /// The file to execute: a path as given (against <paramref name="workingDirectory"/>), or the first executable
    /// match in an absolute directory of <paramref name="path"/> (the child's PATH); null when there is none. A
    /// relative PATH entry is skipped: the child runs in its own directory, so it would name another file there.
    /// </summary>
    public static string? Resolve(string fileName, string workingDirectory, string? path)
    {
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(fileName, workingDirectory);
            return File.Exists(full) ? full : null;
        }

        foreach (var dir in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Path.IsPathRooted(dir))
            {
                continue; // "." or "bin": checked here against PlanBot's directory, run from the child's (the PR's checkout)
            }

            var candidate = Path.Combine(dir, fileName);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        return OperatingSystem.IsWindows() ? fileName : null; // Windows resolves extensions itself
    }

    /// <summary>The environment a child starts from, to be changed before it starts: a copy of <paramref name="inherited"/> (the runner snapshot), else <see cref="OwnEnvironment"/>.</summary>
    public static Dictionary<string, string?> EnvironmentFrom(IReadOnlyDictionary<string, string>? inherited) =>
        inherited?.ToDictionary(e => e.Key, string? (e) => e.Value, StringComparer.Ordinal) ?? OwnEnvironment();

    /// <summary>
    /// This process's environment as a child inherits it by default: the block .NET's <see cref="Process"/> would
    /// pass (a fresh <see cref="ProcessStartInfo.Environment"/>; building it sets up nothing of Process's own). No
    /// setting is read from it: runs hand their children the runner snapshot PlanBotSettings took instead.
    /// </summary>
    private static Dictionary<string, string?> OwnEnvironment() => new(new ProcessStartInfo().Environment, StringComparer.Ordinal);

    public Task WaitForExitAsync(CancellationToken cancellationToken) =>
        _process?.WaitForExitAsync(cancellationToken) ?? _spawned!.Exited.WaitAsync(cancellationToken);

    /// <summary>SIGKILL to the child's process group, when it has one of its own; quiet when the group is gone.</summary>
    public void KillGroup()
    {
        if (OwnGroup)
        {
            _ = Signals.Kill(-Id, Signals.SigKill); // ESRCH when the group is gone already: nothing left to end
        }
    }

    /// <summary>Ends the child and what it started that left its process group (still its descendants by parent id).</summary>
    public void KillTree()
    {
        try
        {
            if (_process is not null)
            {
                _process.Kill(entireProcessTree: true);
                return;
            }

            if (!_spawned!.Exited.IsCompleted)
            {
                // not reaped before Dispose, so the pid is still the child's (SpawnedChild)
                using var running = Process.GetProcessById(_spawned.Id);
                running.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            _spawned?.Kill(); // already exited, or gone from /proc between the two looks
        }
    }

    public void Dispose()
    {
        // Process.Dispose leaves the redirected streams to the finalizer: their pipes are closed here, either way
        StandardInput?.Dispose();
        StandardOutput.Dispose();
        StandardError.Dispose();
        _process?.Dispose();
        _spawned?.Dispose();
    }

    private sealed class ReadHeld : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                ExecutableWrites.ExitReadLock();
            }
        }
    }
}
