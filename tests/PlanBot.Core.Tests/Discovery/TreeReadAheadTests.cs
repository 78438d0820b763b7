using System.Collections.Concurrent;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Terraform.Files;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Discovery;

/// <summary>
/// A run reads and parses the head's Terraform files while it asks git and the code host who it trusts
/// (<see cref="TreeReadAhead"/>, issue 19). Discovery then finds exactly what it finds alone (warnings for
/// skipped files and read errors included), each file is read once, a read ahead of another tree is never
/// used, and discovery stops it, so files it never asks for are not read on.
/// </summary>
public sealed class TreeReadAheadTests : IDisposable
{
    private readonly TempDir _repo = new("planbot-readahead");
    private readonly TempDir _outside = new("planbot-outside");

    public TreeReadAheadTests()
    {
        Write("modules/net/main.tf", "variable \"cidr\" {}\n");
        Write("envs/prod/main.tf", "terraform {\n  backend \"s3\" {}\n}\nmodule \"net\" {\n  source = \"../../modules/net\"\n}\n");
        Write("envs/dev/main.tf", "module \"net\" {\n  source = \"../../modules/net\"\n}\nresource \"x\" \"broken\" {\n");
        Write("envs/dev/terragrunt.hcl", "terraform {\n  source = \"../../modules/net\"\n}\n");
        Write("vendor/ignored/main.tf", "resource \"a\" \"b\" {}\n");
        File.WriteAllText(_outside.Combine("secret.tf"), "resource \"leak\" \"x\" {}\n");
        File.CreateSymbolicLink(_repo.Combine("envs/prod/outside.tf"), _outside.Combine("secret.tf"));
        using var big = File.Create(_repo.Combine("envs/prod/big.tf"));
        big.SetLength(DiskFileTree.MaxFileBytes + 1);
    }

    public void Dispose()
    {
        _repo.Dispose();
        _outside.Dispose();
    }

    private void Write(string path, string text) => _repo.Write(path, text);

    private static PlanBotConfig Config => ConfigLoader.Parse("planbot.yaml", "discovery:\n  ignore: [\"vendor/**\"]\n");

    /// <summary>What discovery found, as comparable text.</summary>
    private static string[] Found(DiscoveryResult result) =>
    [
        .. result.Projects.Select(p => $"{p.Name} {p.Dir} {p.Source} modules=[{string.Join(',', p.ModuleDirs)}] errors=[{string.Join(" | ", p.ParseErrors)}] terragrunt={p.Terragrunt}"),
        .. result.ModuleDirs.Order(StringComparer.Ordinal).Select(d => "module " + d),
        .. result.Dirs.Keys.Order(StringComparer.Ordinal).Select(d => "dir " + d),
        .. result.Warnings.Order(StringComparer.Ordinal).Select(w => "warning " + w),
    ];

    [Fact]
    public async Task Discovery_finds_exactly_what_it_finds_alone_and_reads_each_file_once()
    {
        var alone = Found(ProjectDiscovery.Discover(new DiskFileTree(_repo.Path), Config));
        alone.ShouldContain(f => f.StartsWith("warning ", StringComparison.Ordinal) && f.Contains("outside", StringComparison.Ordinal), "the control: a link out of the tree is skipped with a warning");
        alone.ShouldContain(f => f.Contains("16 MB", StringComparison.Ordinal), "the control: a read error is the file's diagnostic");

        var tree = new CountingTree(new DiskFileTree(_repo.Path));
        using var readAhead = TreeReadAhead.Start(tree);
        await readAhead.Done;
        readAhead.ParsedAhead.ShouldBe(7, "every .tf and terragrunt.hcl, the ignored one too: the ignore globs are not known yet");

        Found(ProjectDiscovery.Discover(tree, Config, readAhead)).ShouldBe(alone);
        tree.Reads.Values.ShouldAllBe(n => n == 1, "discovery took what was read ahead");
        tree.Lists.ShouldBe(1);
        readAhead.Held.ShouldBe(0, "let go once discovery took what it needed: the ignored dir's parse is not kept for the run");
    }

    [Fact]
    public void A_read_ahead_of_another_tree_is_never_used()
    {
        var other = new CountingTree(new MemoryFileTree(new Dictionary<string, string> { ["envs/prod/main.tf"] = "resource \"other\" \"tree\" {}\n" }, "/elsewhere"));
        using var readAhead = TreeReadAhead.Start(other);
        var tree = new CountingTree(new DiskFileTree(_repo.Path));

        var found = ProjectDiscovery.Discover(tree, Config, readAhead);
        Found(found).ShouldBe(Found(ProjectDiscovery.Discover(new DiskFileTree(_repo.Path), Config)));
        tree.Reads.Keys.ShouldContain("envs/prod/main.tf", "read from the tree discovery was given");
        readAhead.Stopped.ShouldBeTrue("discovery stops any read ahead it is given");
    }

    [Fact]
    public async Task A_stopped_read_ahead_reads_nothing_more_and_discovery_reads_what_it_needs_itself()
    {
        var tree = new CountingTree(new DiskFileTree(_repo.Path)) { Gate = new ManualResetEventSlim() };
        using var readAhead = TreeReadAhead.Start(tree);
        await tree.Listing.Task; // the read ahead is listing the tree
        readAhead.Stop(); // what discovery does first
        tree.Gate.Set();
        await Task.WhenAny(readAhead.Done);
        readAhead.ParsedAhead.ShouldBe(0);
        tree.Reads.ShouldBeEmpty();

        Found(ProjectDiscovery.Discover(tree, Config, readAhead)).ShouldBe(Found(ProjectDiscovery.Discover(new DiskFileTree(_repo.Path), Config)));
        tree.Lists.ShouldBe(1, "the list the read ahead made is used");
        tree.Reads.Keys.ShouldNotContain("vendor/ignored/main.tf", "under discovery.ignore: never read");
        tree.Reads.Values.ShouldAllBe(n => n == 1);
    }

    /// <summary>A tree that counts its lists and reads; with a gate, its first list waits until the test opens it.</summary>
    private sealed class CountingTree(IFileTree inner) : IFileTree
    {
        private int _lists;

        public ConcurrentDictionary<string, int> Reads { get; } = new(StringComparer.Ordinal);

        public int Lists => Volatile.Read(ref _lists);

        public ManualResetEventSlim? Gate { get; init; }

        public TaskCompletionSource Listing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Root => inner.Root;

        public IReadOnlyList<string> ListFiles()
        {
            Interlocked.Increment(ref _lists);
            Listing.TrySetResult();
            Gate?.Wait(TimeSpan.FromSeconds(30));
            return inner.ListFiles();
        }

        public string ReadText(string path)
        {
            Reads.AddOrUpdate(path, 1, (_, n) => n + 1);
            return inner.ReadText(path);
        }
    }
}
