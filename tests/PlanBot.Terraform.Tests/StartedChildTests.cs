using PlanBot.Terraform.Processes;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>
/// Every child starts through <see cref="StartedChild"/>: with <c>posix_spawn</c> on this system, with .NET's
/// Process (and the <c>setsid</c> hop) where that is missing. Both ways give the child the same stdin, pipes,
/// directory, environment, session and exit code.
/// </summary>
public class StartedChildTests
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task Both_ways_start_the_child_alike(bool spawn, bool ownSession)
    {
        using var dir = new TempDir();
        var ours = File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[2]; // process group id (field 5)
        var environment = new Dictionary<string, string?> { ["ONLY"] = "this", ["PATH"] = "/usr/bin:/bin" };
        var sh = StartedChild.Resolve("sh", dir.Path, "/usr/bin:/bin").ShouldNotBeNull();
        var script = "read line; echo \"$line $(pwd) $(cut -d' ' -f5 /proc/$$/stat) $$\"; tr '\\0' '\\n' < /proc/$$/environ | sort >&2; exit 3";
        using var child = await StartedChild.StartAsync(sh, ["-c", script], environment, dir.Path, ownSession, standardInput: true, spawn, CancellationToken.None);

        await child.StandardInput.ShouldNotBeNull().WriteAsync("hello\n"u8.ToArray());
        child.StandardInput.Close();
        var stdout = (await child.StandardOutput.ReadToEndAsync()).Trim().Split(' ');
        (await child.StandardError.ReadToEndAsync()).ShouldBe("ONLY=this\nPATH=/usr/bin:/bin\n", "exactly the environment given: nothing of PlanBot's own");
        await child.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        child.ExitCode.ShouldBe(3);
        stdout[..2].ShouldBe(["hello", dir.Path]);
        var (group, pid) = (stdout[2], stdout[3]);
        pid.ShouldBe(child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        child.OwnGroup.ShouldBe(ownSession);
        group.ShouldBe(ownSession ? pid : ours, ownSession ? "a child that needs its own session leads its own group" : "a query stays in PlanBot's group");
    }

    [Theory]
    [InlineData(true, "/dev/null")]
    [InlineData(false, "pipe:")]
    public async Task Without_a_stdin_pipe_the_child_reads_end_of_file_never_planbots_stdin(bool spawn, string stdin)
    {
        using var dir = new TempDir();
        var sh = StartedChild.Resolve("sh", dir.Path, "/usr/bin:/bin").ShouldNotBeNull();
        using var child = await StartedChild.StartAsync(sh, ["-c", "readlink /proc/$$/fd/0; cat"], new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin" }, dir.Path, ownSession: true, standardInput: false, spawn, CancellationToken.None);
        child.StandardInput.ShouldBeNull();
        var output = await child.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        output.ShouldStartWith(stdin, customMessage: "/dev/null, or Process's stdin pipe closed at once");
        output.Trim().Split('\n').Length.ShouldBe(1, "cat ended at once: its stdin is at end of file");
        await child.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        child.ExitCode.ShouldBe(0);
    }

    [Fact]
    public void A_program_is_found_in_an_absolute_directory_of_the_childs_path_and_a_path_is_taken_as_given()
    {
        using var dir = new TempDir();
        StartedChild.Resolve("sh", dir.Path, "/nonexistent:/bin:/usr/bin").ShouldBe("/bin/sh");
        StartedChild.Resolve("sh", dir.Path, "/nonexistent").ShouldBeNull();
        StartedChild.Resolve("sh", dir.Path, null).ShouldBeNull();
        File.WriteAllText(dir.Combine("not-executable"), "");
        StartedChild.Resolve("not-executable", dir.Path, dir.Path).ShouldBeNull("a file without an execute bit is not a program");
        StartedChild.Resolve("./not-executable", dir.Path, "/nonexistent").ShouldBe(dir.Combine("not-executable"));
        StartedChild.Resolve("./missing", dir.Path, "/bin").ShouldBeNull();
    }

    /// <summary>
    /// A relative PATH entry ("." or "bin") would be checked against PlanBot's directory and run from the child's,
    /// which is the PR's checkout: it is skipped, so a program the PR commits there never runs in git's or terraform's place.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_relative_path_entry_is_never_searched()
    {
        var cwd = Directory.GetCurrentDirectory();
        var local = Path.Combine(cwd, "planbot-relative-path-probe");
        File.WriteAllText(local, "#!/bin/sh\n");
        try
        {
            File.SetUnixFileMode(local, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            StartedChild.Resolve("planbot-relative-path-probe", "/tmp", cwd).ShouldBe(local, "control: found where the entry is absolute");
            StartedChild.Resolve("planbot-relative-path-probe", "/tmp", ".").ShouldBeNull();
            StartedChild.Resolve("planbot-relative-path-probe", "/tmp", "./").ShouldBeNull();
        }
        finally
        {
            File.Delete(local);
        }
    }

    /// <summary>
    /// A program still open for writing cannot be executed: ETXTBSY. A start tries again for about a second, so a
    /// write that ends meanwhile costs a moment, and one that does not is told by name.
    /// </summary>
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_program_still_open_for_writing_is_started_once_the_write_ends(bool spawn, bool ownSession)
    {
        using var dir = new TempDir();
        var program = dir.Combine("fresh-true");
        var environment = new Dictionary<string, string?>();

        var writing = new FileStream(program, FileMode.CreateNew, FileAccess.Write);
        await writing.WriteAsync(await File.ReadAllBytesAsync("/bin/true"));
        await writing.FlushAsync();
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var error = await Should.ThrowAsync<System.ComponentModel.Win32Exception>(() => StartedChild.StartAsync(program, [], environment, dir.Path, ownSession, standardInput: false, spawn, CancellationToken.None));
        error.NativeErrorCode.ShouldBe(26, "held open for writing the whole time, it is never executable: " + error.Message);

        // released 20 ms after the first attempt, on a thread of its own (the pool may be busy): well inside the ~1 s of tries
        var release = new Thread(() =>
        {
            Thread.Sleep(20);
            writing.Dispose();
        });
        release.Start();
        using var child = await StartedChild.StartAsync(program, [], environment, dir.Path, ownSession, standardInput: false, spawn, CancellationToken.None);
        release.Join();
        await child.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        child.ExitCode.ShouldBe(0);
    }

    /// <summary>
    /// Once PlanBot has written a program it will run (the installer's terraform), it waits out every child start in
    /// flight: such a child may hold a copy of the write descriptor until its exec, and running the program meanwhile
    /// fails with ETXTBSY (through the setsid hop it could not even be tried again).
    /// </summary>
    [Fact]
    public async Task A_written_program_is_run_only_after_the_starts_in_flight()
    {
        Task written;
        var inFlight = StartedChild.StartInFlight();
        try
        {
            written = Task.Run(StartedChild.ExecutableWritten);
            Thread.Sleep(200); // not awaited: the start lock is this thread's, as a real start's is during posix_spawn
            written.IsCompleted.ShouldBeFalse("a start in flight may still hold the write descriptor");
        }
        finally
        {
            inFlight.Dispose();
        }

        await written.WaitAsync(TimeSpan.FromSeconds(30)); // once the start is done, nothing holds it
    }
}
