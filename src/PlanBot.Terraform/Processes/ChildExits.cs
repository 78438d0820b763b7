using System.Runtime.InteropServices;

namespace PlanBot.Terraform.Processes;

/// <summary>
/// One thread that observes the exit of every <see cref="SpawnedChild"/>: a pidfd per child (<c>pidfd_open</c>, always
/// close-on-exec) in one epoll set, instead of a thread per child blocked in <c>waitid</c> (issue 19: a 24-project
/// PR starts ~75 children, and the thread that starts a thread waits until the new one runs). The exit is read
/// with <c>waitid(P_PIDFD, …, WNOWAIT)</c>, which names that very process and leaves it unreaped:
/// <see cref="SpawnedChild.Dispose"/> still reaps it, so its pid stays its own until then.
/// Where pidfds are missing (glibc &lt; 2.36, Linux &lt; 5.4) <see cref="Watch"/> says no, and the child waits on a thread of its own.
/// </summary>
internal static unsafe partial class ChildExits
{
    /// <summary>waitid's P_PID: <see cref="ExitCode"/> of a child named by its pid.</summary>
    internal const int PidType = 1;
    private const int PidFdType = 3; // P_PIDFD
    private const int WExited = 4;
    private const int WNoWait = 0x01000000;
    private const int WNoHang = 1;
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const int EIntr = 4;
    private const int EInval = 22;
    private const int MaxEvents = 16;

    private static readonly Lock Gate = new();
    private static readonly Dictionary<int, Action<int>> Watched = [];
    private static readonly bool Available = OperatingSystem.IsLinux() && HasPidFdOpen();

    // struct epoll_event is packed on x86-64 and 4-aligned on x86 (12 bytes, data at 4), naturally aligned elsewhere (16 bytes, data at 8)
    private static readonly bool PackedEvents = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
    private static readonly int EventSize = PackedEvents ? 12 : 16;
    private static readonly int DataOffset = PackedEvents ? 4 : 8;

    private static int _epoll = -1;
    private static bool _broken;

    /// <summary>
    /// Calls <paramref name="exited"/> (on the watching thread; it must not block) with the exit code of the child
    /// <paramref name="pid"/> once it has exited; false when it cannot be watched this way (the caller waits itself).
    /// </summary>
    public static bool Watch(int pid, Action<int> exited)
    {
        if (!Available)
        {
            return false;
        }

        var pidfd = PidFdOpen(pid, 0);
        if (pidfd < 0)
        {
            return false; // ENOSYS on an old kernel, or out of fds: the caller's own thread waits
        }

        lock (Gate)
        {
            if (_broken || (_epoll < 0 && !StartWatching(pidfd)))
            {
                _ = Close(pidfd);
                return false;
            }

            Watched[pidfd] = exited;
            var entry = stackalloc byte[16];
            *(uint*)entry = EpollIn;
            *(ulong*)(entry + DataOffset) = (ulong)pidfd;
            if (EpollCtl(_epoll, EpollCtlAdd, pidfd, entry) != 0)
            {
                Watched.Remove(pidfd);
                _ = Close(pidfd);
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The exit code of the exited child <paramref name="id"/> names (a pid, or a pidfd with <paramref name="idType"/>
    /// P_PIDFD), read without reaping it, as .NET's Process reports it: 128 + the signal for a child killed by one;
    /// -1 when another waiter took its status. Blocks until the child has exited.
    /// </summary>
    public static int ExitCode(int idType, int id) => ReadExit(idType, id, WExited | WNoWait)!.Value;

    /// <summary><see cref="ExitCode"/> without blocking: null while the child is still running.</summary>
    private static int? ReadExit(int idType, int id, int options)
    {
        // siginfo_t (128 bytes): si_code at offset 8, si_pid at 16 (0: nothing exited, with WNOHANG), si_status at 24
        var info = stackalloc byte[128];
        while (true)
        {
            new Span<byte>(info, 128).Clear();
            if (WaitId(idType, id, info, options) == 0)
            {
                if (*(int*)(info + 16) == 0)
                {
                    return null;
                }

                var code = *(int*)(info + 8);
                var status = *(int*)(info + 24);
                return code == 1 ? status : 128 + status; // CLD_EXITED, else CLD_KILLED / CLD_DUMPED
            }

            if (Marshal.GetLastPInvokeError() != EIntr)
            {
                return -1; // ECHILD: reaped by another waiter (a runtime told to reap every child)
            }
        }
    }

    /// <summary>The watching thread, once <paramref name="pidfd"/> shows that waitid reads pidfds (Linux 5.4; 5.3 has pidfd_open without it).</summary>
    private static bool StartWatching(int pidfd)
    {
        var info = stackalloc byte[128];
        if (WaitId(PidFdType, pidfd, info, WExited | WNoWait | WNoHang) != 0 && Marshal.GetLastPInvokeError() == EInval)
        {
            _broken = true;
            return false;
        }

        var epoll = EpollCreate1(EpollCloexec);
        if (epoll < 0)
        {
            _broken = true;
            return false;
        }

        try
        {
            new Thread(() => Loop(epoll), maxStackSize: 64 * 1024) { IsBackground = true, Name = "planbot child exits" }.Start();
        }
        catch (OutOfMemoryException)
        {
            _ = Close(epoll);
            _broken = true; // nothing would ever read the set: each child waits on a thread of its own
            return false;
        }

        _epoll = epoll; // only once something reads it
        return true;
    }

    private static void Loop(int epoll)
    {
        var events = stackalloc byte[MaxEvents * 16];
        while (true)
        {
            var ready = EpollWait(epoll, events, MaxEvents, -1);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }

                GiveUp();
                return;
            }

            for (var i = 0; i < ready; i++)
            {
                var pidfd = (int)*(ulong*)(events + (i * EventSize) + DataOffset);
                var code = ReadExit(PidFdType, pidfd, WExited | WNoWait | WNoHang);
                Action<int>? exited;
                lock (Gate)
                {
                    Watched.Remove(pidfd, out exited);
                    _ = EpollCtl(epoll, EpollCtlDel, pidfd, null);
                }

                if (code is null)
                {
                    // readable, yet no exit to read: a tracer (strace -p, gdb) holds the exited child until it lets go. The set is
                    // level-triggered, so it would be reported again at once: this one child waits on a thread of its own instead.
                    WaitAlone(pidfd, exited);
                    continue;
                }

                _ = Close(pidfd);
                exited?.Invoke(code.Value);
            }
        }
    }

    /// <summary>epoll failed (it never does short of a kernel bug): each watched child gets its own waiting thread, and new ones are not watched here.</summary>
    private static void GiveUp()
    {
        KeyValuePair<int, Action<int>>[] left;
        lock (Gate)
        {
            _broken = true;
            left = [.. Watched];
            Watched.Clear();
        }

        foreach (var (pidfd, exited) in left)
        {
            WaitAlone(pidfd, exited);
        }
    }

    /// <summary>A thread of its own blocked until the child <paramref name="pidfd"/> names can be read as exited.</summary>
    private static void WaitAlone(int pidfd, Action<int>? exited) =>
        new Thread(() =>
        {
            var code = ExitCode(PidFdType, pidfd);
            _ = Close(pidfd);
            exited?.Invoke(code);
        }, maxStackSize: 64 * 1024) { IsBackground = true, Name = "planbot child wait" }.Start();

    private static bool HasPidFdOpen() =>
        NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "pidfd_open", out _);

    [LibraryImport("libc", EntryPoint = "pidfd_open", SetLastError = true)]
    private static partial int PidFdOpen(int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int operation, int fd, byte* entry);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, byte* events, int maxEvents, int timeout);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "waitid", SetLastError = true)]
    private static partial int WaitId(int idType, int id, byte* info, int options);
}
