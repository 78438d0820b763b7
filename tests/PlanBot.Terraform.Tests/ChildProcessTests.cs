using System.Diagnostics;
using PlanBot.Core.Ports;
using PlanBot.Terraform.Processes;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

public class ChildProcessTests
{
    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree()
    {
        using var dir = new TempDir();
        var marker = dir.Combine("child.pid");
        var started = Stopwatch.StartNew();
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = "bash",
            Arguments = ["-c", $"sleep 60 & echo $! > {marker}; wait"],
            WorkingDirectory = dir.Path,
            Timeout = TimeSpan.FromSeconds(1),
        }, CancellationToken.None);
        outcome.TimedOut.ShouldBeTrue();
        started.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        var child = int.Parse((await File.ReadAllTextAsync(marker)).Trim());
        await Task.Delay(200);
        IsAlive(child).ShouldBeFalse("the grandchild sleep must be killed too");
    }

    /// <summary>
    /// A child runs in a session of its own (setsid: a timeout reaches all it started) unless it is a
    /// short query that opts out (issue 19: git rev-parse and the like skip the setsid hop), and a
    /// query that overruns is still killed with its tree.
    /// </summary>
    [Fact]
    public async Task A_child_gets_its_own_session_unless_it_is_a_query_and_a_query_still_times_out()
    {
        using var dir = new TempDir();
        var ours = File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[3]; // session id (field 6)
        async Task<(string Pid, string Session)> SessionOf(bool own)
        {
            var out1 = dir.Combine($"session-{own}");
            var outcome = await ChildProcess.RunAsync(new ProcessSpec
            {
                FileName = "bash",
                Arguments = ["-c", $"echo $$ $(cut -d' ' -f6 /proc/$$/stat) > {out1}"],
                WorkingDirectory = dir.Path,
                OwnSession = own,
            }, CancellationToken.None);
            outcome.ExitCode.ShouldBe(0, outcome.StderrTail);
            var fields = (await File.ReadAllTextAsync(out1)).Trim().Split(' ');
            return (fields[0], fields[1]);
        }

        var (pid, session) = await SessionOf(own: true);
        session.ShouldBe(pid, "setsid made the child a session leader");
        (await SessionOf(own: false)).Session.ShouldBe(ours, "a query stays in PlanBot's session");

        var marker = dir.Combine("query-child.pid");
        var timedOut = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = "bash",
            Arguments = ["-c", $"sleep 60 & echo $! > {marker}; wait"],
            WorkingDirectory = dir.Path,
            Timeout = TimeSpan.FromSeconds(1),
            OwnSession = false,
        }, CancellationToken.None);
        timedOut.TimedOut.ShouldBeTrue();
        await Task.Delay(200);
        IsAlive(int.Parse((await File.ReadAllTextAsync(marker)).Trim())).ShouldBeFalse("the query's own child is killed with it");
    }

    /// <summary>
    /// A child in its own session is spawned directly (posix_spawn, issue 19: no setsid hop): it starts
    /// with no signal ignored or blocked, stdin at end of file, in its dir, with exactly the environment given.
    /// </summary>
    [Fact]
    public async Task A_session_child_starts_clean_in_its_dir_with_only_its_environment()
    {
        using var dir = new TempDir();
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = "sh",
            // the shell reads its own status with builtins before it forks anything: dash blocks every signal around a fork,
            // so a grep it started could catch it mid-fork
            Arguments = ["-c", "while IFS= read -r l; do case \"$l\" in SigBlk:*|SigIgn:*) echo \"$l\";; esac; done < /proc/$$/status; cat; echo \"pid=$$ session=$(cut -d' ' -f6 /proc/$$/stat) dir=$(pwd) only=${ONLY-unset} home=${HOME-unset}\""],
            WorkingDirectory = dir.Path,
            Inherited = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")!, ["ONLY"] = "this one" },
        }, CancellationToken.None);

        outcome.ExitCode.ShouldBe(0, outcome.StderrTail);
        var lines = outcome.StdoutTail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe("SigBlk:\t0000000000000000"); // /proc lists the blocked before the ignored
        // signals 1-31 at their default (PlanBot ignores SIGPIPE; the child must not inherit that); 32 and 33 are glibc's own
        (Convert.ToUInt64(lines[1]["SigIgn:\t".Length..], 16) & 0x7FFF_FFFF).ShouldBe(0UL, lines[1]);
        var pid = lines[2].Split(' ')[0]["pid=".Length..];
        lines[2].ShouldBe($"pid={pid} session={pid} dir={dir.Path} only=this one home=unset", "stdin read nothing; nothing but the given environment");
    }

    [Fact]
    public async Task A_session_child_killed_by_a_signal_exits_as_process_reports_it_and_a_bad_start_is_told()
    {
        using var dir = new TempDir();
        var killed = await ChildProcess.RunAsync(new ProcessSpec { FileName = "sh", Arguments = ["-c", "kill -TERM $$"], WorkingDirectory = dir.Path }, CancellationToken.None);
        killed.ExitCode.ShouldBe(128 + 15);
        killed.NotFound.ShouldBeFalse();

        var gone = await ChildProcess.RunAsync(new ProcessSpec { FileName = "sh", Arguments = ["-c", "true"], WorkingDirectory = dir.Combine("no-such-dir") }, CancellationToken.None);
        gone.NotFound.ShouldBeTrue();
        gone.StderrTail.ShouldBe($"cannot start 'sh': No such file or directory (in {dir.Combine("no-such-dir")})");

        var nul = await ChildProcess.RunAsync(new ProcessSpec { FileName = "sh", Arguments = ["-c", "true\0rm"], WorkingDirectory = dir.Path }, CancellationToken.None);
        nul.NotFound.ShouldBeTrue();
        nul.StderrTail.ShouldContain("holds a NUL character");
    }

    /// <summary>Running or sleeping; a killed process may linger as a zombie until its new parent reaps it.</summary>
    private static bool IsAlive(int pid)
    {
        var status = $"/proc/{pid}/status";
        return File.Exists(status) && !File.ReadLines(status).Any(l => l.StartsWith("State:", StringComparison.Ordinal) && (l.Contains("Z (zombie)") || l.Contains("X (dead)")));
    }

    [Fact]
    public async Task Output_streams_to_the_log_and_only_a_bounded_tail_is_kept()
    {
        using var dir = new TempDir();
        var log = dir.Combine("out.log");
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = "bash",
            Arguments = ["-c", "head -c 300000 /dev/zero | tr '\\0' 'x'; echo; echo done >&2; exit 3"],
            WorkingDirectory = dir.Path,
            LogFile = log,
        }, CancellationToken.None);
        outcome.ExitCode.ShouldBe(3);
        new FileInfo(log).Length.ShouldBeGreaterThan(300_000);
        outcome.StdoutTail.Length.ShouldBeLessThanOrEqualTo(64 * 1024);
        outcome.StderrTail.Trim().ShouldBe("done");
    }

    /// <summary>show -json's output goes to its file byte for byte (not decoded and re-encoded: issue 19), even bytes that are not UTF-8; the tail stays bounded.</summary>
    [Fact]
    public async Task Stdout_to_a_file_is_copied_byte_for_byte_and_only_its_tail_is_kept()
    {
        using var dir = new TempDir();
        var file = dir.Combine("show.json");
        var log = dir.Combine("out.log");
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = "bash",
            Arguments = ["-c", "printf '\\xff\\xfe{'; head -c 1000000 /dev/zero | tr '\\0' 'x'; printf 'caf\\xc3\\xa9}'; echo err >&2"],
            WorkingDirectory = dir.Path,
            StdoutFile = file,
            LogFile = log,
        }, CancellationToken.None);
        outcome.ExitCode.ShouldBe(0);
        var bytes = await File.ReadAllBytesAsync(file);
        bytes.Length.ShouldBe(3 + 1_000_000 + 6);
        bytes[..3].ShouldBe(new byte[] { 0xff, 0xfe, (byte)'{' });
        bytes[^6..].ShouldBe("café}"u8.ToArray());
        outcome.StdoutTail.Length.ShouldBeLessThanOrEqualTo(64 * 1024);
        outcome.StdoutTail.ShouldEndWith("xxcafé}");
        (await File.ReadAllTextAsync(log)).ShouldNotContain("xxxx", customMessage: "stdout went to its own file, not the log");
        outcome.StderrTail.Trim().ShouldBe("err");
    }

    [Fact]
    public async Task A_missing_binary_is_reported_not_thrown()
    {
        var result = await new TerraformCli(new TerraformOptions { Binary = "no-such-terraform" })
            .InitAsync(new TerraformContext { WorkingDir = Path.GetTempPath(), LogFile = Path.Combine(Path.GetTempPath(), "x.log") }, CancellationToken.None);
        result.Outcome.ShouldBe(TerraformOutcome.NotFound);
        result.Error.ShouldNotBeNull().ShouldContain("set terraform.binary in planbot.yaml");
    }

    [Fact]
    public void The_state_lock_diagnostic_is_parsed_into_its_fields()
    {
        const string stderr = """
            ╷
            │ Error: Error acquiring the state lock
            │
            │ Error message: ConditionalCheckFailedException: The conditional request failed
            │ Lock Info:
            │   ID:        8f1c2a6e-7f0e-4c1b-9e2e-3d1f8a9b0c1d
            │   Path:      tf-state/prod/network.tfstate
            │   Operation: OperationTypeApply
            │   Who:       alice@runner-1
            │   Version:   1.11.4
            │   Created:   2026-11-24 10:00:00.123 +0000 UTC
            │   Info:
            ╵
            """;
        var result = TerraformOutput.Interpret("plan", "terraform", new ProcessOutcome(1, false, false, false, "", stderr, TimeSpan.FromSeconds(1)));
        result.Outcome.ShouldBe(TerraformOutcome.StateLocked);
        result.StateLock.ShouldBe(new StateLockInfo("8f1c2a6e-7f0e-4c1b-9e2e-3d1f8a9b0c1d", "tf-state/prod/network.tfstate", "OperationTypeApply", "alice@runner-1", "2026-11-24 10:00:00.123 +0000 UTC"));
        result.Error.ShouldBe("state lock held by alice@runner-1 since 2026-11-24 10:00:00.123 +0000 UTC (OperationTypeApply, lock ID 8f1c2a6e-7f0e-4c1b-9e2e-3d1f8a9b0c1d)");
        result.Diagnostics.ShouldNotBeNull().ShouldNotContain("│");
    }

    [Theory]
    [InlineData("setsid sleep 300 & echo $! > escaped.pid; sleep 60", true)] // the step itself runs past its limit
    [InlineData("setsid sleep 300 & echo $! > escaped.pid; exit 0", false)] // the step ends, its escaped child keeps the pipes
    public async Task A_child_that_escapes_the_tree_and_holds_the_pipes_is_not_waited_for(string script, bool timesOut)
    {
        using var dir = new TempDir();
        var started = Stopwatch.StartNew();
        var outcome = await ChildProcess.RunAsync(new ProcessSpec
        {
            FileName = "sh",
            Arguments = ["-c", script],
            WorkingDirectory = dir.Path,
            Timeout = TimeSpan.FromSeconds(2),
        }, CancellationToken.None);
        var elapsed = started.Elapsed;
        var escaped = int.Parse((await File.ReadAllTextAsync(dir.Combine("escaped.pid"))).Trim());
        try
        {
            // The escaped sleep lives 300 s; before the fix the step waited for it to close stdout.
            elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60));
            outcome.TimedOut.ShouldBe(timesOut);
            outcome.PipesAbandoned.ShouldBeTrue();
            outcome.Limit.ShouldBe(TimeSpan.FromSeconds(2));
        }
        finally
        {
            if (IsAlive(escaped))
            {
                Process.GetProcessById(escaped).Kill();
            }
        }
    }

    [Fact]
    public void A_timed_out_step_names_the_step_and_the_limit()
    {
        var outcome = new ProcessOutcome(-1, true, false, false, "", "", TimeSpan.FromSeconds(15.2)) { Limit = TimeSpan.FromSeconds(15) };
        var result = TerraformOutput.Interpret("plan", "terraform", outcome);
        result.Outcome.ShouldBe(TerraformOutcome.TimedOut);
        result.Error.ShouldNotBeNull().ShouldStartWith("terraform plan hit its 15s step limit (terraform.timeout)");
    }

    [Fact]
    public void A_state_lock_that_cannot_be_read_or_written_is_an_io_error_not_a_held_lock()
    {
        // Real terraform 1.11 output when the lock file's path is a directory.
        const string stderr = """
            Error: Error acquiring the state lock

            Error message: could not write lock info for "st/terraform.tfstate": open
            st/.terraform.tfstate.lock.info: is a directory

            Terraform acquires a state lock to protect the state from being written
            by multiple users at the same time. Please resolve the issue above and try
            again. For most commands, you can disable locking with the "-lock=false"
            flag, but this is not recommended.
            """;
        var result = TerraformOutput.Interpret("plan", "terraform", new ProcessOutcome(1, false, false, false, "", stderr, TimeSpan.FromSeconds(1)));
        result.Outcome.ShouldBe(TerraformOutcome.Failed);
        result.StateLock.ShouldBeNull();
        result.Error.ShouldBe("terraform could not take the state lock (an error reaching the lock, not a lock someone holds): could not write lock info for \"st/terraform.tfstate\": open st/.terraform.tfstate.lock.info: is a directory; fix the backend's storage or access and re-plan");
    }
}
