using PlanBot.Terraform.Checkout;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>
/// The checkout's HEAD (real git repositories): a detached HEAD is read from .git/HEAD without a git process
/// (issue 19); a branch checked out, a worktree's .git file or a HEAD file of any other shape is asked of git,
/// with the same answer.
/// </summary>
public sealed class WorktreeCheckoutTests : IAsyncLifetime
{
    private GitRepo _repo = null!;
    private readonly TempDir _data = new("planbot-data");
    private string _first = "";
    private string _second = "";

    public async Task InitializeAsync()
    {
        _repo = await GitRepo.CreateAsync();
        _repo.Write("main.tf", "# one\n");
        _first = await _repo.CommitAsync("one");
        _repo.Write("main.tf", "# two\n");
        _second = await _repo.CommitAsync("two");
    }

    public Task DisposeAsync()
    {
        _repo.Dispose();
        _data.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_detached_head_is_read_from_the_git_directory_and_its_commit_planned_in_place()
    {
        await _repo.GitAsync("checkout", "-q", "--detach", _first);
        WorktreeCheckout.DetachedHead(_repo.Root).ShouldBe(_first);
        var checkout = new WorktreeCheckout(_data.Path, _repo.Root);

        await using (var here = await checkout.AtAsync(_repo.Root, _first, CancellationToken.None))
        {
            here.Root.ShouldBe(_repo.Root, "the commit checked out: no worktree");
            checkout.InPlace(_repo.Root, _first).ShouldNotBeNull().Root.ShouldBe(here.Tree.Root, "the tree a run reads ahead is the one it plans in");
        }

        checkout.InPlace(_repo.Root, _second).ShouldBeNull("another commit is planned in a worktree: nothing to read ahead here");

        var other = await checkout.AtAsync(_repo.Root, _second, CancellationToken.None);
        await using (other)
        {
            other.Root.ShouldNotBe(_repo.Root);
            File.ReadAllText(Path.Combine(other.Root, "main.tf")).ShouldBe("# two\n", "another commit: its own worktree");
        }

        Directory.Exists(other.Root).ShouldBeFalse("removed when released");
    }

    [Fact]
    public async Task A_branch_checked_out_or_a_worktrees_git_file_is_asked_of_git_with_the_same_answer()
    {
        // main is checked out: HEAD is a symbolic ref
        WorktreeCheckout.DetachedHead(_repo.Root).ShouldBeNull();
        var checkout = new WorktreeCheckout(_data.Path, _repo.Root);
        checkout.InPlace(_repo.Root, _second).ShouldBeNull("not known without git: no read ahead");
        await using (var here = await checkout.AtAsync(_repo.Root, _second, CancellationToken.None))
        {
            here.Root.ShouldBe(_repo.Root);
        }

        // a linked worktree: .git is a file pointing elsewhere
        using var linked = new TempDir("planbot-linked");
        var path = Path.Combine(linked.Path, "wt");
        await _repo.GitAsync("worktree", "add", "-q", "--detach", path, _first);
        try
        {
            File.Exists(Path.Combine(path, ".git")).ShouldBeTrue();
            WorktreeCheckout.DetachedHead(path).ShouldBeNull();
            await using (var there = await checkout.AtAsync(path, _first, CancellationToken.None))
            {
                there.Root.ShouldBe(path, "git said the worktree has the commit checked out");
            }
        }
        finally
        {
            await _repo.GitAsync("worktree", "remove", "--force", path);
        }
    }

    [Theory]
    [InlineData("{0}\n", true)]
    [InlineData("{0}", true)]
    [InlineData("ref: refs/heads/main\n", false)]
    [InlineData("{0}\n\n", false)]
    [InlineData("{0}\r\n", false)]
    [InlineData(" {0}\n", false)]
    [InlineData("{1}\n", false)]
    [InlineData("{2}\n", false)]
    [InlineData("", false)]
    public void Only_a_head_file_holding_exactly_a_lower_case_sha_is_read(string content, bool read)
    {
        using var dir = new TempDir("planbot-head");
        Directory.CreateDirectory(Path.Combine(dir.Path, ".git"));
        const string sha = "0123456789abcdef0123456789abcdef01234567";
        File.WriteAllText(Path.Combine(dir.Path, ".git", "HEAD"), string.Format(System.Globalization.CultureInfo.InvariantCulture, content, sha, sha.ToUpperInvariant(), sha[..39] + "g"));
        WorktreeCheckout.DetachedHead(dir.Path).ShouldBe(read ? sha : null);
    }

    [Fact]
    public void No_git_directory_or_no_head_file_is_not_read()
    {
        using var dir = new TempDir("planbot-head");
        WorktreeCheckout.DetachedHead(dir.Path).ShouldBeNull();
        Directory.CreateDirectory(Path.Combine(dir.Path, ".git"));
        WorktreeCheckout.DetachedHead(dir.Path).ShouldBeNull("no HEAD: git says why");
        Directory.CreateDirectory(Path.Combine(dir.Path, ".git", "HEAD"));
        WorktreeCheckout.DetachedHead(dir.Path).ShouldBeNull("HEAD a directory");
    }
}
