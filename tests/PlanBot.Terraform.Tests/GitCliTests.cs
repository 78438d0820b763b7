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
}
