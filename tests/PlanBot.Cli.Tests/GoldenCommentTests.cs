using PlanBot.Cli;
using PlanBot.Core.Rendering;
using PlanBot.Testing;

namespace PlanBot.Cli.Tests;

/// <summary>
/// The comment format, pinned by golden files under tests/fixtures/golden: real git, real terraform,
/// volatile parts (SHAs, terraform_data ids) normalised. The files double as format documentation.
/// </summary>
public class GoldenCommentTests
{
    [Fact]
    public async Task The_demo_comment_matches_its_golden_file()
    {
        using var dir = new TempDir();
        var comment = dir.Combine("comment.md");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["demo", "--example", Path.Combine(Fixtures.RepoRoot, "examples", "monorepo"), "--comment-out", comment], stdout, stderr);
        code.ShouldBe(0, stderr.ToString());
        Golden.ShouldMatch(await File.ReadAllTextAsync(comment), "tests", "fixtures", "golden", "demo.comment.md");
    }

    [Fact]
    public async Task Secrets_and_policy_documents_match_their_golden_file()
    {
        var root = Path.Combine(Fixtures.RepoRoot, "tests", "fixtures", "golden", "secrets-and-policies");
        using var scenario = await Scenario.CreateAsync(Files(Path.Combine(root, "base")));
        await scenario.ApplyAsync("app");
        var report = await scenario.PlanChangeAsync(Files(Path.Combine(root, "change")).ToDictionary(kv => kv.Key, kv => (string?)kv.Value));

        var parts = MarkdownComment.Render(report, new CommentOptions());
        var markdown = string.Join("\n", parts);
        markdown.ShouldNotContain("correct-horse-battery-staple");
        markdown.ShouldNotContain("battery");
        foreach (var part in parts)
        {
            CommentChecks.ShouldBeBalanced(part, 65_000, "secrets-and-policies");
        }

        Golden.ShouldMatch(markdown, "tests", "fixtures", "golden", "secrets-and-policies", "expected-comment.md");
    }

    private static Dictionary<string, string> Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), File.ReadAllText);
}
