using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Terraform.Files;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Discovery;

/// <summary>
/// The reads discovery makes of a working tree are bounded (issue 14): at most 16 MB of one file,
/// symlinks followed only while they stay inside the repository, so a committed
/// <c>zero.tf -> /dev/zero</c> or <c>-> /etc/passwd</c> is a warning, not an out-of-memory or a leak.
/// </summary>
public sealed class DiskFileTreeTests : IDisposable
{
    private readonly TempDir _repo = new("planbot-tree");
    private readonly TempDir _outside = new("planbot-outside");

    private string Write(string path, string content) => _repo.Write(path, content);

    private void Link(string path, string target) => File.CreateSymbolicLink(_repo.Combine(path), target);

    [Fact]
    public void A_file_over_16_MB_is_refused_naming_the_cap_and_the_fix_and_one_at_the_cap_is_read()
    {
        DiskFileTree.MaxFileBytes.ShouldBe(16L * 1024 * 1024);
        using (var big = File.Create(_repo.Combine("big.tf")))
        {
            big.SetLength(DiskFileTree.MaxFileBytes + 1);
        }

        using (var exact = File.Create(_repo.Combine("exact.tf")))
        {
            exact.SetLength(DiskFileTree.MaxFileBytes);
        }

        var tree = new DiskFileTree(_repo.Path);
        var error = Should.Throw<IOException>(() => tree.ReadText("big.tf"));
        error.ShouldNotBeOfType<SkippedFileException>();
        error.Message.ShouldContain("16 MB");
        error.Message.ShouldContain("split big.tf or add it to discovery.ignore");
        tree.ReadText("exact.tf").Length.ShouldBe((int)DiskFileTree.MaxFileBytes);
    }

    [Fact]
    public void A_link_to_dev_zero_is_never_read_to_the_end()
    {
        Link("zero.tf", "/dev/zero");
        var tree = new DiskFileTree(_repo.Path);
        var before = GC.GetAllocatedBytesForCurrentThread(); // this thread only: other tests allocate in parallel
        Should.Throw<SkippedFileException>(() => tree.ReadText("zero.tf")).Message.ShouldContain("outside the repository");
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(1024 * 1024, "refused before a byte is read");
    }

    [Fact]
    public void A_link_inside_the_repository_to_dev_zero_through_a_dir_link_is_refused_too()
    {
        Directory.CreateDirectory(_repo.Combine("dev"));
        Link("dev/z.tf", "../../../../../../../../../../../dev/zero");
        Should.Throw<SkippedFileException>(() => new DiskFileTree(_repo.Path).ReadText("dev/z.tf"));
    }

    [Fact]
    public void Links_out_of_the_repository_absolute_or_relative_are_skipped_and_links_inside_are_followed()
    {
        var secret = Path.Combine(_outside.Path, "secret.tf");
        File.WriteAllText(secret, "variable \"password\" { default = \"hunter2\" }");
        Write("real/main.tf", "variable \"x\" {}");
        Link("abs.tf", secret);
        Link("rel.tf", Path.GetRelativePath(_repo.Path, secret));
        Link("inside.tf", "real/main.tf");
        Directory.CreateDirectory(_repo.Combine("hop"));
        Link("hop/up.tf", "../inside.tf"); // a link to a link, both inside

        var tree = new DiskFileTree(_repo.Path);
        Should.Throw<SkippedFileException>(() => tree.ReadText("abs.tf")).Message.ShouldBe($"abs.tf is a symlink to {secret}, outside the repository: not followed (PlanBot reads only files inside the repository; commit the file itself)");
        Should.Throw<SkippedFileException>(() => tree.ReadText("rel.tf")).Message.ShouldContain("outside the repository");
        tree.ReadText("inside.tf").ShouldBe("variable \"x\" {}");
        tree.ReadText("hop/up.tf").ShouldBe("variable \"x\" {}");
    }

    [Fact]
    public void A_symlink_loop_is_skipped_not_followed_forever()
    {
        Link("a.tf", "b.tf");
        Link("b.tf", "a.tf");
        Should.Throw<SkippedFileException>(() => new DiskFileTree(_repo.Path).ReadText("a.tf")).Message.ShouldContain("symlink loop");
    }

    [Fact]
    public void Discovery_over_a_tree_with_hostile_links_plans_the_real_project_and_warns_about_each_link()
    {
        Write("net/main.tf", "terraform {\n  backend \"s3\" {}\n}");
        Link("net/zero.tf", "/dev/zero");
        Link("net/passwd.tf", "/etc/passwd");

        var result = ProjectDiscovery.Discover(new DiskFileTree(_repo.Path), PlanBotConfig.Default);
        result.Projects.Select(p => p.Dir).ShouldBe(["net"]);
        result.Warnings.ShouldContain(w => w.Contains("net/zero.tf is a symlink to /dev/zero, outside the repository", StringComparison.Ordinal));
        result.Warnings.ShouldContain(w => w.Contains("net/passwd.tf is a symlink to /etc/passwd", StringComparison.Ordinal));
    }

    /// <summary>Read from one pooled buffer (issue 19), a file's text is still exactly what a StreamReader detecting byte order marks reads.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("7265736F7572636520227822207B7D0A")] // plain UTF-8
    [InlineData("EFBBBF6C6F63616C73207B7D")] // UTF-8 with its BOM
    [InlineData("FFFE6C006F00630061006C007300")] // UTF-16 LE
    [InlineData("FEFF006C006F00630061006C0073")] // UTF-16 BE
    [InlineData("FFFE00006C000000")] // UTF-32 LE
    [InlineData("0000FEFF0000006C")] // UTF-32 BE
    [InlineData("6C6FC3A9FF80C30A")] // invalid UTF-8: replacement characters, as the reader makes them
    [InlineData("EF")] // a lone BOM byte
    public void A_files_text_is_what_a_reader_detecting_byte_order_marks_reads(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        File.WriteAllBytes(_repo.Combine("f.tf"), bytes);
        using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);

        new DiskFileTree(_repo.Path).ReadText("f.tf").ShouldBe(reader.ReadToEnd());
    }

    [Fact]
    public async Task A_stream_with_no_length_is_read_whole_past_the_first_buffer()
    {
        // a named pipe reports no length: the buffer grows as bytes arrive, under the same cap
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"# line {i} é\n"));
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [_repo.Combine("pipe.tf")]))
        {
            await mkfifo.WaitForExitAsync();
            mkfifo.ExitCode.ShouldBe(0);
        }

        var writer = Task.Run(() => File.WriteAllText(_repo.Combine("pipe.tf"), text));
        string read;
        try
        {
            read = await Task.Run(() => new DiskFileTree(_repo.Path).ReadText("pipe.tf")).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!writer.IsCompleted)
            {
                using var drain = File.OpenRead(_repo.Combine("pipe.tf")); // the read failed: let the writer's open return
            }
        }

        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        read.ShouldBe(text);
    }

    public void Dispose()
    {
        _repo.Dispose();
        _outside.Dispose();
    }
}
