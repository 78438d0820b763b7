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
        using var child = StartedChild.Start(sh, ["-c", "read line; echo \"$line $(pwd) $ONLY $(cut -d' ' -f5 /proc/$$/stat) $$\"; echo to-stderr >&2; exit 3"], environment, dir.Path, ownSession, standardInput: true, spawn);

        await child.StandardInput.ShouldNotBeNull().WriteAsync("hello\n"u8.ToArray());
        child.StandardInput.Close();
        var stdout = (await child.StandardOutput.ReadToEndAsync()).Trim().Split(' ');
        (await child.StandardError.ReadToEndAsync()).ShouldBe("to-stderr\n");
        await child.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        child.ExitCode.ShouldBe(3);
        stdout[..3].ShouldBe(["hello", dir.Path, "this"]);
        var (group, pid) = (stdout[3], stdout[4]);
        pid.ShouldBe(child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        child.OwnGroup.ShouldBe(ownSession);
        group.ShouldBe(ownSession ? pid : ours, ownSession ? "a child that needs its own session leads its own group" : "a query stays in PlanBot's group");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Without_a_stdin_pipe_the_child_reads_end_of_file(bool spawn)
    {
        using var dir = new TempDir();
        var cat = StartedChild.Resolve("cat", dir.Path, "/usr/bin:/bin").ShouldNotBeNull();
        using var child = StartedChild.Start(cat, [], new Dictionary<string, string?>(), dir.Path, ownSession: true, standardInput: false, spawn);
        child.StandardInput.ShouldBeNull();
        (await child.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeEmpty("cat ends at once: its stdin is at end of file, never a terminal or PlanBot's own");
        await child.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        child.ExitCode.ShouldBe(0);
    }

    [Fact]
    public void A_program_is_found_on_the_childs_path_and_a_path_is_taken_as_given()
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
    /// A program still open for writing (a terraform PlanBot has just installed, whose file another child being
    /// started at that instant briefly holds too) cannot be executed: ETXTBSY. The start tries again for about a
    /// second, so a write that ends meanwhile costs a moment, and one that does not is told by name.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_program_still_open_for_writing_is_started_once_the_write_ends(bool spawn)
    {
        using var dir = new TempDir();
        var program = dir.Combine("fresh-true");
        var environment = new Dictionary<string, string?>();

        var writing = new FileStream(program, FileMode.CreateNew, FileAccess.Write);
        await writing.WriteAsync(await File.ReadAllBytesAsync("/bin/true"));
        await writing.FlushAsync();
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var error = Should.Throw<System.ComponentModel.Win32Exception>(() => StartedChild.Start(program, [], environment, dir.Path, ownSession: false, standardInput: false, spawn));
        error.NativeErrorCode.ShouldBe(26, "held open for writing the whole time, it is never executable: " + error.Message);

        var released = Task.Run(async () =>
        {
            await Task.Delay(100);
            await writing.DisposeAsync();
        });
        using var child = StartedChild.Start(program, [], environment, dir.Path, ownSession: false, standardInput: false, spawn);
        await released;
        await child.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        child.ExitCode.ShouldBe(0);
    }
}
