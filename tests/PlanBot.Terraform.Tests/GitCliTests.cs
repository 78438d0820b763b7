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
}
