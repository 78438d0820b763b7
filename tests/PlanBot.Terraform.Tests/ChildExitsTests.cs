using PlanBot.Terraform.Processes;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>
/// One thread observes every spawned child's exit (<see cref="ChildExits"/>: pidfds in one epoll set), not a
/// thread per child, and each child still gets its own exit code, whatever order they end in.
/// </summary>
public class ChildExitsTests
{
    [Fact]
    public async Task Many_children_end_each_with_its_own_code_seen_by_one_thread()
    {
        using var dir = new TempDir();
        var environment = new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin" };
        var sh = StartedChild.Resolve("sh", dir.Path, "/usr/bin:/bin").ShouldNotBeNull();
        var children = Enumerable.Range(0, 40)
            .Select(i => SpawnedChild.Start(sh, ["-c", $"read _; exit {i}"], environment, dir.Path, ownSession: false, standardInput: true))
            .ToArray();
        try
        {
            // all 40 are running (each waits for a line): none has a thread of its own waiting for it
            ThreadNames().ShouldNotContain("planbot child w"); // "planbot child wait", as the kernel keeps it (15 characters)
            ThreadNames().Count(n => n == "planbot child e").ShouldBe(1); // "planbot child exits"
            children.ShouldAllBe(c => !c.Exited.IsCompleted);

            foreach (var child in children.Reverse())
            {
                child.StandardInput!.Close(); // end of input: read fails, it exits with its code (last started first)
            }

            var codes = await Task.WhenAll(children.Select(c => c.Exited)).WaitAsync(TimeSpan.FromSeconds(60));
            codes.ShouldBe(Enumerable.Range(0, 40));

            var sleeper = SpawnedChild.Start("/bin/sleep", ["60"], environment, dir.Path, ownSession: false);
            sleeper.Kill();
            (await sleeper.Exited.WaitAsync(TimeSpan.FromSeconds(60))).ShouldBe(137, "killed by SIGKILL: 128 + 9, as .NET's Process reports it");
            sleeper.Dispose();
        }
        finally
        {
            foreach (var child in children)
            {
                child.Dispose();
            }
        }
    }

    /// <summary>
    /// A child whose exit a tracer holds back (strace -p, gdb: its pidfd is readable before PlanBot can read the exit)
    /// is not spun on: it leaves the watcher for a thread of its own, and its exit is still seen once the tracer lets go.
    /// </summary>
    [Fact]
    public async Task A_child_whose_exit_a_tracer_holds_back_is_not_spun_on()
    {
        using var dir = new TempDir();
        using var child = SpawnedChild.Start("/bin/cat", [], new Dictionary<string, string?>(), dir.Path, ownSession: false, standardInput: true); // runs until its input ends
        const string Tracer = "import ctypes, sys\nlibc = ctypes.CDLL(None, use_errno=True)\n" +
            "if libc.ptrace(0x4206, int(sys.argv[1]), None, None) != 0: sys.exit('PTRACE_SEIZE failed: errno %d' % ctypes.get_errno())\n" +
            "print('seized', flush=True)\nsys.stdin.read()\n"; // holds the child until its stdin closes; exiting detaches it
        using var tracer = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", ["-c", Tracer, child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var seized = await tracer.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            seized.ShouldBe("seized", seized is null ? await tracer.StandardError.ReadToEndAsync() : null);
            child.StandardInput!.Close(); // cat ends; the tracer now holds its exit
            var stat = $"/proc/{child.Id}/stat";
            while (File.ReadAllText(stat).Split(") ")[1][0] != 'Z')
            {
                await Task.Delay(20); // until it has exited (a zombie the tracer has not released)
            }

            var before = WatcherTicks();
            await Task.Delay(1000);
            var spent = WatcherTicks() - before;
            child.Exited.IsCompleted.ShouldBeFalse("the tracer still holds the exit");
            spent.ShouldBeLessThan(20, "clock ticks of CPU the exit watchers used in a second (a spinning watcher uses ~100)");
        }
        finally
        {
            tracer.StandardInput.Close();
        }

        (await child.Exited.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(0);
    }

    /// <summary>CPU clock ticks (user + system) used so far by the threads that wait for children's exits.</summary>
    private static long WatcherTicks()
    {
        long ticks = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() is "planbot child e" or "planbot child w")
                {
                    var fields = File.ReadAllText(Path.Combine(task, "stat")).Split(") ")[1].Split(' '); // state is field 3
                    ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture); // utime, stime (14, 15)
                }
            }
            catch (IOException)
            {
                // the thread ended between the listing and the read
            }
        }

        return ticks;
    }

    /// <summary>The names of this process's threads (a thread that ends while they are read is left out).</summary>
    private static List<string> ThreadNames()
    {
        var names = new List<string>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                names.Add(File.ReadAllText(Path.Combine(task, "comm")).Trim());
            }
            catch (IOException)
            {
                // the thread ended between the listing and the read
            }
        }

        return names;
    }
}
