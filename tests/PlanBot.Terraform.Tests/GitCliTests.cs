using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform.Git;
using PlanBot.Testing;
using PlanBot.Core.Common;

namespace PlanBot.Terraform.Tests;

public class GitCliTests
{
    [Fact]
    public async Task Diff_from_the_merge_base_reports_adds_edits_deletes_and_renames()
    {
        using var repo = await GitRepo.CreateAsync();
        repo.Write("a/main.tf", "# a\n" + new string('x', 400)).Write("b/main.tf", "# b").Write("c/main.tf", "# c");
        var base1 = await repo.CommitAsync();
        await repo.GitAsync("checkout", "-q", "-b", "feature");
        repo.Delete("a/main.tf").Write("moved/main.tf", "# a\n" + new string('x', 400)).Write("b/main.tf", "# b2").Delete("c/main.tf").Write("d/new.tf", "# d");
        var head = await repo.CommitAsync();
        await repo.GitAsync("checkout", "-q", "main");
        repo.Write("unrelated/main.tf", "# on main after the branch");
        var mainHead = await repo.CommitAsync();

        var git = new GitCli();
        var mergeBase = await git.MergeBaseAsync(repo.Root, mainHead, head, CancellationToken.None);
        mergeBase.ShouldBe(base1);
        var changes = await git.DiffAsync(repo.Root, mergeBase, head, CancellationToken.None);
        changes.ShouldBe([
            new ChangedFile("moved/main.tf", FileChangeKind.Renamed, "a/main.tf"),
            new ChangedFile("b/main.tf", FileChangeKind.Modified),
            new ChangedFile("c/main.tf", FileChangeKind.Deleted),
            new ChangedFile("d/new.tf", FileChangeKind.Added),
        ], ignoreOrder: true);
    }

    [Fact]
    public async Task An_unknown_ref_is_a_usage_error_that_says_what_to_do()
    {
        using var repo = await GitRepo.CreateAsync();
        await repo.CommitAsync();
        var error = await Should.ThrowAsync<UsageException>(() => new GitCli().ResolveAsync(repo.Root, "no-such-branch", CancellationToken.None));
        error.Message.ShouldContain("'no-such-branch' is not a commit");
        await Should.ThrowAsync<UsageException>(() => new GitCli().ResolveAsync(repo.Root, "--upload-pack=evil", CancellationToken.None));
    }

    /// <summary>A verified commit SHA is not asked again (issue 19); a branch moves, so it always is, and a SHA that is no commit stays an error.</summary>
    [Fact]
    public async Task Only_verified_commit_shas_are_remembered()
    {
        using var repo = await GitRepo.CreateAsync();
        var first = await repo.CommitAsync();
        var git = new GitCli();
        (await git.ResolveAsync(repo.Root, "main", CancellationToken.None)).ShouldBe(first);
        (await git.ResolveAsync(repo.Root, first, CancellationToken.None)).ShouldBe(first);
        repo.Write("more.tf", "# more");
        var second = await repo.CommitAsync();
        (await git.ResolveAsync(repo.Root, "main", CancellationToken.None)).ShouldBe(second, "a branch is resolved again: it moved");
        var missing = new string('a', 40);
        await Should.ThrowAsync<UsageException>(() => git.ResolveAsync(repo.Root, missing, CancellationToken.None));
        await Should.ThrowAsync<UsageException>(() => git.ResolveAsync(repo.Root, missing, CancellationToken.None));

        // the remembered SHA answers without git: the repository's objects are gone, the answer is not
        Directory.Delete(Path.Combine(repo.Root, ".git", "objects"), recursive: true);
        (await git.ResolveAsync(repo.Root, first, CancellationToken.None)).ShouldBe(first);
        await Should.ThrowAsync<UsageException>(() => new GitCli().ResolveAsync(repo.Root, first, CancellationToken.None));
    }

    /// <summary>
    /// planbot.yaml, else planbot.yml, at a commit in one cat-file process (issue 19) answers exactly as
    /// <see cref="GitCli.ShowFileAsync"/> asked for each in turn: found, missing, nested, through a symlinked
    /// dir (not there), a symlink or a directory at the name (an error), a byte order mark, a commit that is not there.
    /// </summary>
    [Fact]
    public async Task The_first_file_of_several_at_a_commit_is_read_as_show_reads_each_in_turn()
    {
        using var repo = await GitRepo.CreateAsync();
        repo.Write("planbot.yml", "parallelism: 2\n").Write("ci/planbot.yaml", "\uFEFFprojects: [] # é\n").Write("ci/deep/er/planbot.yml", "x: 1\n").Write("dir/planbot.yaml/inner", "");
        File.CreateSymbolicLink(Path.Combine(repo.Root, "linked"), "ci");
        Directory.CreateDirectory(Path.Combine(repo.Root, "link"));
        File.CreateSymbolicLink(Path.Combine(repo.Root, "link", "planbot.yaml"), "../ci/planbot.yaml");
        var commit = await repo.CommitAsync();
        var git = new GitCli();

        async Task<(string Path, string Text)?> OneByOne(string sha, string[] paths)
        {
            foreach (var path in paths)
            {
                if (await new GitCli().ShowFileAsync(repo.Root, sha, path, CancellationToken.None) is { } text)
                {
                    return (path, text);
                }
            }

            return null;
        }

        foreach (var dir in (string[])["", "ci/", "ci/deep/er/", "linked/", "nowhere/", "planbot.yml/"])
        {
            string[] paths = [$"{dir}planbot.yaml", $"{dir}planbot.yml"];
            (await git.ShowFirstFileAsync(repo.Root, commit, paths, CancellationToken.None)).ShouldBe(await OneByOne(commit, paths), dir);
        }

        (await git.ShowFirstFileAsync(repo.Root, commit, ["ci/planbot.yaml"], CancellationToken.None)).ShouldBe(("ci/planbot.yaml", "projects: [] # é\n"), "the byte order mark is dropped, as File.ReadAllText drops it");
        foreach (var odd in (string[])["link/planbot.yaml", "dir/planbot.yaml"])
        {
            var expected = await Should.ThrowAsync<UsageException>(() => OneByOne(commit, [odd, "planbot.yml"]));
            (await Should.ThrowAsync<UsageException>(() => git.ShowFirstFileAsync(repo.Root, commit, [odd, "planbot.yml"], CancellationToken.None))).Message.ShouldBe(expected.Message);
        }

        var missing = new string('b', 40);
        (await Should.ThrowAsync<UsageException>(() => git.ShowFirstFileAsync(repo.Root, missing, ["planbot.yaml"], CancellationToken.None))).Message
            .ShouldBe((await Should.ThrowAsync<UsageException>(() => OneByOne(missing, ["planbot.yaml"]))).Message);
        var tree = (await repo.GitAsync("rev-parse", "HEAD^{tree}")).Trim();
        (await Should.ThrowAsync<UsageException>(() => git.ShowFirstFileAsync(repo.Root, tree, ["planbot.yaml"], CancellationToken.None))).Message.ShouldContain("is not a commit");

        // the commit it read is remembered as verified (the run asks for it again)
        Directory.Delete(Path.Combine(repo.Root, ".git", "objects"), recursive: true);
        (await git.ResolveAsync(repo.Root, commit, CancellationToken.None)).ShouldBe(commit);
    }

    /// <summary>
    /// The default branch's head read from the checkout's ref files (issue 19: no git process in the first wave)
    /// gives exactly what <c>git for-each-ref</c> gives, loose or packed; any layout it does not read plainly
    /// (a symbolic ref, a linked worktree's .git file, the reftable store, a name with a dot part) is left to git.
    /// </summary>
    [Fact]
    public async Task Refs_read_from_the_checkouts_files_are_the_ones_git_lists_loose_or_packed()
    {
        using var repo = await GitRepo.CreateAsync();
        var first = await repo.CommitAsync();
        repo.Write("more.tf", "# more");
        var second = await repo.CommitAsync();
        await repo.GitAsync("update-ref", "refs/remotes/origin/main", first);
        await repo.GitAsync("update-ref", "refs/remotes/origin/feature/x", second);
        await repo.GitAsync("update-ref", "refs/heads/refs/remotes/origin/gone", first); // named like a candidate: never it
        string[] candidates = ["refs/remotes/origin/main", "refs/heads/main", "refs/remotes/origin/feature/x", "refs/remotes/origin/gone", "refs/remotes/origin/feature"];

        async Task<string?[]> Listed()
        {
            var listed = (await repo.GitAsync(["for-each-ref", "--format=%(refname) %(objectname)", .. candidates])).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ')).ToDictionary(f => f[0], f => f[1]);
            return [.. candidates.Select(c => listed.GetValueOrDefault(c))];
        }

        var loose = await Listed();
        loose.ShouldBe([first, second, second, null, null], "the control: what git lists");
        RefFiles.TryRead(repo.Root, candidates).ShouldBe(loose);
        await repo.GitAsync("pack-refs", "--all", "--prune");
        File.Exists(Path.Combine(repo.Root, ".git", "refs", "remotes", "origin", "main")).ShouldBeFalse("the control: packed now");
        RefFiles.TryRead(repo.Root, candidates).ShouldBe(await Listed());
        await repo.GitAsync("update-ref", "refs/remotes/origin/main", second); // a loose ref over its packed line
        RefFiles.TryRead(repo.Root, candidates).ShouldBe(await Listed());
        (await new GitCli().FirstRefAsync(repo.Root, ["refs/remotes/origin/gone", "refs/remotes/origin/main"], CancellationToken.None)).ShouldBe(second);

        // an annotated tag's id under a packed name (a ^ line after it) is the tag's: git peels it
        await repo.GitAsync("-c", "user.name=Test", "-c", "user.email=test@planbot.invalid", "tag", "-a", "-m", "t", "v1", first);
        var tag = (await repo.GitAsync("rev-parse", "v1")).Trim();
        await repo.GitAsync("update-ref", "refs/remotes/origin/tagged", tag);
        await repo.GitAsync("pack-refs", "--all", "--prune");
        RefFiles.TryRead(repo.Root, ["refs/remotes/origin/tagged"]).ShouldBe([tag]);
        (await new GitCli().FirstRefAsync(repo.Root, ["refs/remotes/origin/tagged", "refs/heads/main"], CancellationToken.None)).ShouldBe(first, "peeled to its commit, as for-each-ref's answer was");

        // an empty directory where the loose file would be: git reads the packed line, and so does this
        File.Exists(Path.Combine(repo.Root, ".git", "refs", "remotes", "origin", "main")).ShouldBeFalse("the control: packed");
        Directory.CreateDirectory(Path.Combine(repo.Root, ".git", "refs", "remotes", "origin", "main"));
        RefFiles.TryRead(repo.Root, candidates).ShouldBe(await Listed());
        RefFiles.TryRead(repo.Root, ["refs/remotes/origin/main"]).ShouldBe([second]);
        Directory.Delete(Path.Combine(repo.Root, ".git", "refs", "remotes", "origin", "main"));

        RefFiles.TryRead(repo.Root, ["refs/remotes/origin/./main"]).ShouldBeNull("a dot part: git's rules, not a path");
        await repo.GitAsync("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
        RefFiles.TryRead(repo.Root, ["refs/remotes/origin/HEAD"]).ShouldBeNull("a symbolic ref is git's to follow");
        Directory.CreateDirectory(Path.Combine(repo.Root, ".git", "reftable"));
        RefFiles.TryRead(repo.Root, candidates).ShouldBeNull("another ref store");
        Directory.Delete(Path.Combine(repo.Root, ".git", "reftable"));

        using var linked = new TempDir("planbot-linked");
        var worktree = Path.Combine(linked.Path, "wt");
        await repo.GitAsync("worktree", "add", "-q", "--detach", worktree, first);
        RefFiles.TryRead(worktree, candidates).ShouldBeNull("a worktree's .git is a file");
        (await new GitCli().FirstRefAsync(worktree, candidates, CancellationToken.None)).ShouldBe(second, "git answers there");
    }

    /// <summary>
    /// The commits a read of planbot.yaml verifies on the way (issue 19: the PR head, in the same cat-file process)
    /// are remembered exactly as rev-parse's answer would be: a commit that is there is, and an annotated tag's id
    /// (which peels to another id), a tree or a missing object are not, and are asked of rev-parse, which tells why.
    /// </summary>
    [Fact]
    public async Task Commits_verified_beside_a_read_are_remembered_as_rev_parse_would_remember_them()
    {
        using var repo = await GitRepo.CreateAsync();
        repo.Write("planbot.yaml", "parallelism: 2\n");
        var @base = await repo.CommitAsync();
        repo.Write("main.tf", "# head\n");
        var head = await repo.CommitAsync();
        await repo.GitAsync("tag", "-a", "-m", "annotated", "v1", head);
        var tag = (await repo.GitAsync("rev-parse", "v1")).Trim();
        var tree = (await repo.GitAsync("rev-parse", "HEAD^{tree}")).Trim();
        var missing = new string('c', 40);
        var git = new GitCli();

        (await git.ShowFirstFileAsync(repo.Root, @base, ["planbot.yaml"], [head, tag, tree, missing, "main"], CancellationToken.None))
            .ShouldBe(("planbot.yaml", "parallelism: 2\n"), "the read is the read without verifying anything");
        (await git.ResolveAsync(repo.Root, tag, CancellationToken.None)).ShouldBe(head, "rev-parse peels the tag: its answer is another id");

        // the repository's objects are gone: what was verified answers from memory, the rest is asked of git (and fails)
        await repo.GitAsync("update-ref", "refs/remotes/origin/main", @base);
        Directory.Delete(Path.Combine(repo.Root, ".git", "objects"), recursive: true);
        (await git.ResolveAsync(repo.Root, head, CancellationToken.None)).ShouldBe(head);
        (await git.ResolveAsync(repo.Root, @base, CancellationToken.None)).ShouldBe(@base);
        (await git.FirstRefAsync(repo.Root, ["refs/remotes/origin/main", "refs/heads/main"], CancellationToken.None)).ShouldBe(@base, "the branch's head read from its ref file is the commit the read verified: no git");
        (await new GitCli().FirstRefAsync(repo.Root, ["refs/remotes/origin/main", "refs/heads/main"], CancellationToken.None)).ShouldBeNull("the control: unverified, git is asked, and cannot say");
        foreach (var other in (string[])[tag, tree, missing])
        {
            (await Should.ThrowAsync<UsageException>(() => git.ResolveAsync(repo.Root, other, CancellationToken.None))).Message.ShouldContain("is not a commit", customMessage: $"{other} was not remembered");
        }
    }

    /// <summary>
    /// A directory (or the root) the commit has but the object store cannot give (a damaged or partial
    /// clone) is an error naming it, never "no planbot.yaml": the trusted config must not become the defaults.
    /// </summary>
    [Fact]
    public async Task A_tree_the_commit_has_but_git_cannot_read_is_an_error_not_a_missing_config()
    {
        using var repo = await GitRepo.CreateAsync();
        repo.Write("ci/planbot.yaml", "approval: { destructive: true }\n");
        var commit = await repo.CommitAsync();
        var git = new GitCli();
        (await git.ShowFirstFileAsync(repo.Root, commit, ["ci/planbot.yaml", "ci/planbot.yml"], CancellationToken.None))!.Value.Path.ShouldBe("ci/planbot.yaml");

        var subtree = (await repo.GitAsync("rev-parse", $"{commit}:ci")).Trim();
        File.Delete(Path.Combine(repo.Root, ".git", "objects", subtree[..2], subtree[2..]));
        var error = await Should.ThrowAsync<UsageException>(() => new GitCli().ShowFirstFileAsync(repo.Root, commit, ["ci/planbot.yaml", "ci/planbot.yml"], CancellationToken.None));
        error.Message.ShouldBe($"the tree of ci at {commit[..7]} could not be read from the checkout (a damaged or partial clone?); check it with `git fsck` or fetch the commit again");

        var root = (await repo.GitAsync("rev-parse", $"{commit}^{{tree}}")).Trim();
        File.Delete(Path.Combine(repo.Root, ".git", "objects", root[..2], root[2..]));
        (await Should.ThrowAsync<UsageException>(() => new GitCli().ShowFirstFileAsync(repo.Root, commit, ["planbot.yaml"], CancellationToken.None))).Message.ShouldContain("the tree of the root at");
    }

    /// <summary>
    /// The trusted branch's head is found by its full ref names in one for-each-ref (issue 19), exactly:
    /// a ref git's short-name rules would also try for a missing name (a local branch literally named
    /// refs/remotes/origin/main) does not stand in for it, as `rev-parse` would let it.
    /// </summary>
    [Fact]
    public async Task The_first_of_several_full_refs_is_matched_exactly_and_peeled_to_its_commit()
    {
        using var repo = await GitRepo.CreateAsync();
        var first = await repo.CommitAsync();
        repo.Write("more.tf", "# more");
        var second = await repo.CommitAsync();
        var git = new GitCli();

        (await git.FirstRefAsync(repo.Root, ["refs/remotes/origin/main", "refs/heads/main"], CancellationToken.None)).ShouldBe(second);
        await repo.GitAsync("update-ref", "refs/remotes/origin/main", first);
        (await git.FirstRefAsync(repo.Root, ["refs/remotes/origin/main", "refs/heads/main"], CancellationToken.None)).ShouldBe(first, "the first candidate that exists");
        (await git.FirstRefAsync(repo.Root, ["refs/remotes/origin/nope", "refs/heads/nope"], CancellationToken.None)).ShouldBeNull();

        // a branch named like the candidate: rev-parse takes it (refs/heads/<name>), the exact match does not
        await repo.GitAsync("update-ref", "-d", "refs/remotes/origin/main");
        await repo.GitAsync("update-ref", "refs/heads/refs/remotes/origin/main", first);
        (await git.ResolveAsync(repo.Root, "refs/remotes/origin/main", CancellationToken.None)).ShouldBe(first, "git's short-name rules");
        (await git.FirstRefAsync(repo.Root, ["refs/remotes/origin/main", "refs/heads/main"], CancellationToken.None)).ShouldBe(second);

        // an annotated tag under the name is peeled to its commit; a tree is no commit
        await repo.GitAsync("-c", "user.name=Test", "-c", "user.email=test@planbot.invalid", "tag", "-a", "-m", "t", "v1", first);
        await repo.GitAsync("update-ref", "refs/remotes/origin/tagged", (await repo.GitAsync("rev-parse", "v1")).Trim());
        (await git.FirstRefAsync(repo.Root, ["refs/remotes/origin/tagged"], CancellationToken.None)).ShouldBe(first);
        await repo.GitAsync("update-ref", "refs/remotes/origin/tree", (await repo.GitAsync("rev-parse", "HEAD^{tree}")).Trim());
        (await git.FirstRefAsync(repo.Root, ["refs/remotes/origin/tree", "refs/heads/main"], CancellationToken.None)).ShouldBe(second);
        await Should.ThrowAsync<ArgumentException>(() => git.FirstRefAsync(repo.Root, ["main"], CancellationToken.None));
        await Should.ThrowAsync<ArgumentException>(() => git.FirstRefAsync(repo.Root, ["refs/heads/*"], CancellationToken.None));
    }
}
