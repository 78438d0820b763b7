using System.Diagnostics;

namespace PlanBot.Benchmarks;

/// <summary>
/// The program the pr-overhead bench puts in terraform's place: it writes the wall-clock time it started
/// (ns, to a file created only once) and then execs terraform, or exits 1 (<c>--first-only</c>). Compiled
/// from C when a C compiler is there: a shell script stamps ~6–8 ms after its own exec on this machine (sh
/// starting, then a subshell forking `date`), which the time before the first terraform then wrongly counted
/// (session 11). Without a compiler, the shell script.
/// </summary>
internal static class StampShim
{
    /// <summary>Writes the shim; returns what it is, for the bench's output.</summary>
    public static async Task<string> WriteAsync(string shim, string mark, string? terraform)
    {
        var source = shim + ".c";
        await File.WriteAllTextAsync(source, $$"""
            #include <fcntl.h>
            #include <stdio.h>
            #include <time.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
              (void)argc;
              struct timespec now;
              clock_gettime(CLOCK_REALTIME, &now);
              int fd = open("{{mark}}", O_WRONLY | O_CREAT | O_EXCL, 0600);
              if (fd >= 0) {
                char text[32];
                int n = snprintf(text, sizeof text, "%lld\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
                if (write(fd, text, (size_t)n) != n) return 2;
                close(fd);
              }
            {{(terraform is null ? "  return 1;" : $"  argv[0] = \"{terraform}\";\n  execv(\"{terraform}\", argv);\n  return 127;")}}
            }
            """);
        foreach (var flags in (string[][])[["-O2", "-static"], ["-O2"]])
        {
            if (await CompileAsync(source, shim, flags))
            {
                return $"a compiled program ({string.Join(' ', flags)})";
            }
        }

        await File.WriteAllTextAsync(shim, $"#!/bin/sh\n(set -C; date +%s%N > '{mark}') 2>/dev/null\n" + (terraform is null ? "exit 1\n" : $"exec {terraform} \"$@\"\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return "a shell script (no C compiler: it stamps ~6–8 ms after terraform's place is exec'd)";
    }

    private static async Task<bool> CompileAsync(string source, string output, string[] flags)
    {
        try
        {
            var info = new ProcessStartInfo("cc") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in flags.Concat(["-o", output, source]))
            {
                info.ArgumentList.Add(argument);
            }

            using var compiler = Process.Start(info)!;
            _ = await compiler.StandardError.ReadToEndAsync();
            await compiler.WaitForExitAsync();
            return compiler.ExitCode == 0 && File.Exists(output);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no compiler
        }
    }
}
