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
