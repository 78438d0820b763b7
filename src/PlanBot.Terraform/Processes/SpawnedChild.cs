using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PlanBot.Terraform.Processes;

/// <summary>
/// A child started by <c>posix_spawn</c>, in a session of its own (<c>POSIX_SPAWN_SETSID</c>) when asked:
/// the process-group kill of <see cref="ChildProcess"/> without the <c>/usr/bin/setsid</c> hop, a second
/// dynamically linked program started before every terraform (~2.6 ms and its page faults each, 72
/// times on a 24-project PR, one of them before the first terraform: issue 19). git's local queries
/// and its <c>cat-file</c> batch start this way too, without a session: .NET's <c>Process</c> is then never
/// used on a run's way to its first terraform (its first start set up the runtime's child handling
/// there, on the critical path).
/// <para>
/// The child starts with stdin on /dev/null (or a pipe, when asked), stdout and stderr on pipes,
/// every signal at its default and none blocked, and only the environment given. Its exit is observed
/// without reaping it (<see cref="ChildExits"/>: <c>waitid</c> with <c>WNOWAIT</c>), so its pid stays its own until
/// <see cref="Dispose"/>: a kill sent after the exit can never reach another process that was given the same pid.
/// </para>
/// </summary>
internal sealed partial class SpawnedChild : IDisposable
{
    private const int OCloexec = 0x80000; // O_CLOEXEC (x86_64 and aarch64)
    private const short Flags = 0x08 | 0x04; // POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF (glibc)
    private const short SetSid = 0x80; // POSIX_SPAWN_SETSID (glibc)
    private const int EIntr = 4;

    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _ownSession;
    private int _reaped;

    private SpawnedChild(int pid, bool ownSession, int stdin, int stdout, int stderr)
    {
        Id = pid;
        _ownSession = ownSession;
        StandardInput = stdin < 0 ? null : new AnonymousPipeClientStream(PipeDirection.Out, new SafePipeHandle((nint)stdin, ownsHandle: true));
        StandardOutput = new AnonymousPipeClientStream(PipeDirection.In, new SafePipeHandle((nint)stdout, ownsHandle: true));
        StandardError = new AnonymousPipeClientStream(PipeDirection.In, new SafePipeHandle((nint)stderr, ownsHandle: true));
        if (!ChildExits.Watch(pid, code => _exit.TrySetResult(code)))
        {
            new Thread(() => _exit.TrySetResult(ChildExits.ExitCode(ChildExits.PidType, Id)), maxStackSize: 64 * 1024) { IsBackground = true, Name = "planbot child wait" }.Start();
        }
    }

    /// <summary>Where a child can be started this way: Linux with glibc 2.29+ (posix_spawn_file_actions_addchdir_np).</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux() && HasSpawnChdir();

    /// <summary>The child's pid; in a session of its own, also its session and process group id.</summary>
    public int Id { get; }

    /// <summary>The child's stdin when it was started with a pipe there; null: it reads /dev/null.</summary>
    public Stream? StandardInput { get; }

    public Stream StandardOutput { get; }

    public Stream StandardError { get; }

    /// <summary>The exit code as .NET's Process reports it (128 + the signal for a child killed by one); -1 when another waiter took its status.</summary>
    public Task<int> Exited => _exit.Task;

    /// <summary>Starts <paramref name="executable"/> (a full path) with <paramref name="arguments"/> after it.</summary>
    /// <param name="ownSession">In a session (and process group) of its own, for <see cref="ChildProcess"/>'s group kill; false: in PlanBot's.</param>
    /// <param name="standardInput">stdin on a pipe PlanBot writes (<see cref="StandardInput"/>), not /dev/null.</param>
    /// <exception cref="System.ComponentModel.Win32Exception">The child could not be started (the executable, the directory or a pipe).</exception>
    public static unsafe SpawnedChild Start(string executable, IReadOnlyList<string> arguments, IEnumerable<KeyValuePair<string, string?>> environment, string workingDirectory, bool ownSession, bool standardInput = false)
    {
        string[] argumentValues = [executable, .. arguments];
        string[] environmentValues = [.. environment.Where(e => e.Value is not null).Select(e => $"{e.Key}={e.Value}")];
        if (argumentValues.Concat(environmentValues).Append(workingDirectory).Any(v => v.Contains('\0', StringComparison.Ordinal)))
        {
            throw new System.ComponentModel.Win32Exception(22, "an argument or environment value holds a NUL character, which no process can be given");
        }

        var strings = new List<nint>();
        var fileActions = NativeMemory.AllocZeroed(1024); // posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336, sigset_t 128 (glibc): room to spare
        var attributes = NativeMemory.AllocZeroed(1024);
        var signals = NativeMemory.AllocZeroed(256);
        int* input = stackalloc int[2];
        int* output = stackalloc int[2];
        int* errors = stackalloc int[2];
        input[0] = input[1] = output[0] = output[1] = errors[0] = errors[1] = -1;
        nint* argv = null;
        nint* envp = null;
        try
        {
            argv = Pointers(argumentValues, strings);
            envp = Pointers(environmentValues, strings);
            Check(Pipe2(output, OCloexec) == 0 ? 0 : Marshal.GetLastPInvokeError(), "pipe");
            Check(Pipe2(errors, OCloexec) == 0 ? 0 : Marshal.GetLastPInvokeError(), "pipe");
            Check(FileActionsInit(fileActions), "posix_spawn_file_actions_init");
            Check(AttrInit(attributes), "posix_spawnattr_init");
            if (standardInput)
            {
                Check(Pipe2(input, OCloexec) == 0 ? 0 : Marshal.GetLastPInvokeError(), "pipe");
                Check(AddDup2(fileActions, input[0], 0), "posix_spawn_file_actions_adddup2");
            }
            else
            {
                Check(AddOpen(fileActions, 0, Utf8("/dev/null", strings), 0, 0), "posix_spawn_file_actions_addopen"); // O_RDONLY: stdin at end of file, as -input=false expects
            }

            Check(AddDup2(fileActions, output[1], 1), "posix_spawn_file_actions_adddup2");
            Check(AddDup2(fileActions, errors[1], 2), "posix_spawn_file_actions_adddup2");
            Check(AddChdir(fileActions, Utf8(workingDirectory, strings)), "posix_spawn_file_actions_addchdir_np");
            if (HasCloseFrom)
            {
                // what PlanBot itself inherited without close-on-exec (a runner's descriptors) is not passed on
                Check(AddCloseFrom(fileActions, 3), "posix_spawn_file_actions_addclosefrom_np");
            }

            Check(SigEmptySet(signals) == 0 ? 0 : Marshal.GetLastPInvokeError(), "sigemptyset");
            Check(SetSigMask(attributes, signals), "posix_spawnattr_setsigmask"); // nothing blocked
            Check(SigFillSet(signals) == 0 ? 0 : Marshal.GetLastPInvokeError(), "sigfillset");
            Check(SetSigDefault(attributes, signals), "posix_spawnattr_setsigdefault"); // every signal at its default, SIGPIPE included
            Check(SetFlags(attributes, ownSession ? (short)(Flags | SetSid) : Flags), "posix_spawnattr_setflags");
            int pid;
            var spawned = Spawn(&pid, Utf8(executable, strings), fileActions, attributes, argv, envp);
            if (spawned != 0)
            {
                throw new System.ComponentModel.Win32Exception(spawned, $"{Marshal.GetPInvokeErrorMessage(spawned)} (in {workingDirectory})");
            }

            var (stdin, stdout, stderr) = (input[1], output[0], errors[0]);
            input[1] = output[0] = errors[0] = -1; // the child's streams own them from here
            try
            {
                return new SpawnedChild(pid, ownSession, stdin, stdout, stderr);
            }
            catch
            {
                _ = Signals.Kill(pid, Signals.SigKill); // nobody could read or wait for it: end it and reap it
                int status;
                _ = WaitPid(pid, &status, 0);
                throw;
            }
        }
        finally
        {
            foreach (var fd in (int[])[input[0], input[1], output[0], output[1], errors[0], errors[1]])
            {
                if (fd >= 0)
                {
                    _ = Close(fd); // the child's ends are the child's alone; PlanBot's ends only if it never started
                }
            }

            // safe on the zeroed memory of a step that never ran (glibc frees a null list, an attribute set holds nothing)
            _ = FileActionsDestroy(fileActions);
            _ = AttrDestroy(attributes);

            NativeMemory.Free(fileActions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(signals);
            NativeMemory.Free(argv);
            NativeMemory.Free(envp);
            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
        }
    }

    /// <summary>SIGKILL to the child alone (the group is <see cref="ChildProcess"/>'s to signal); quiet once it has exited.</summary>
    public void Kill()
    {
        if (!_exit.Task.IsCompleted && Volatile.Read(ref _reaped) == 0)
        {
            _ = Signals.Kill(Id, Signals.SigKill); // unreaped, the pid is still this child's
        }
    }

    /// <summary>Reaps the child, killing it first if it is still running (an exception ended the run before it did).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _reaped, 1) == 0)
        {
            if (!_exit.Task.IsCompleted)
            {
                _ = Signals.Kill(_ownSession ? -Id : Id, Signals.SigKill); // a child in PlanBot's own group is ended alone
            }

            int status;
            unsafe
            {
                while (WaitPid(Id, &status, 0) < 0 && Marshal.GetLastPInvokeError() == EIntr)
                {
                }
            }
        }

        StandardInput?.Dispose();
        StandardOutput.Dispose();
        StandardError.Dispose();
    }

    private static unsafe nint* Pointers(string[] values, List<nint> strings)
    {
        var array = (nint*)NativeMemory.AllocZeroed((nuint)(values.Length + 1), (nuint)sizeof(nint));
        for (var i = 0; i < values.Length; i++)
        {
            array[i] = Utf8(values[i], strings);
        }

        return array;
    }

    private static nint Utf8(string value, List<nint> strings)
    {
        var pointer = Marshal.StringToCoTaskMemUTF8(value);
        strings.Add(pointer);
        return pointer;
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new System.ComponentModel.Win32Exception(error, $"{what}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
    }

    /// <summary>glibc 2.34+: descriptors from 3 up closed in the child, whatever their close-on-exec flag.</summary>
    private static bool HasCloseFrom { get; } = Supported && NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "posix_spawn_file_actions_addclosefrom_np", out _);

    private static bool HasSpawnChdir() =>
        NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "posix_spawn_file_actions_addchdir_np", out _);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static unsafe partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static unsafe partial int FileActionsInit(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static unsafe partial int FileActionsDestroy(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    private static unsafe partial int AddOpen(void* actions, int fd, nint path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    private static unsafe partial int AddDup2(void* actions, int fd, int target);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    private static unsafe partial int AddChdir(void* actions, nint path);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    private static unsafe partial int AddCloseFrom(void* actions, int from);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static unsafe partial int AttrInit(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static unsafe partial int AttrDestroy(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static unsafe partial int SetFlags(void* attributes, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static unsafe partial int SetSigMask(void* attributes, void* signals);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static unsafe partial int SetSigDefault(void* attributes, void* signals);

    [LibraryImport("libc", EntryPoint = "sigemptyset", SetLastError = true)]
    private static unsafe partial int SigEmptySet(void* signals);

    [LibraryImport("libc", EntryPoint = "sigfillset", SetLastError = true)]
    private static unsafe partial int SigFillSet(void* signals);

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static unsafe partial int Spawn(int* pid, nint path, void* actions, void* attributes, nint* argv, nint* envp);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static unsafe partial int WaitPid(int pid, int* status, int options);
}
