using PlanBot.Core.Common;

namespace PlanBot.Core.Tests.Config;

public class GlobTests
{
    [Theory]
    [InlineData("*.tf", "main.tf", true)]
    [InlineData("*.tf", "dir/main.tf", false)]
    [InlineData("**/*.tf", "main.tf", true)]
    [InlineData("**/*.tf", "a/b/c/main.tf", true)]
    [InlineData("envs/**", "envs/prod/app", true)]
    [InlineData("envs/**", "other/x", false)]
    [InlineData("envs/*/network", "envs/prod/network", true)]
    [InlineData("envs/*/network", "envs/prod/eu/network", false)]
    [InlineData("aws_iam_*", "aws_iam_role", true)]
    [InlineData("aws_iam_*", "aws_s3_bucket", false)]
    [InlineData("file?.tf", "file1.tf", true)]
    [InlineData("{a,b}/x", "b/x", true)]
    [InlineData("[ab]/x", "c/x", false)]
    [InlineData("[!ab]/x", "c/x", true)]
    [InlineData("a.b", "aXb", false)]
    public void Matches_like_shell_globs_with_double_star(string pattern, string path, bool expected) =>
        Glob.Parse(pattern).IsMatch(path).ShouldBe(expected);

    [Theory]
    [InlineData("a**b", "'**' must be a whole path segment")]
    [InlineData("[abc", "unclosed '['")]
    [InlineData("{a,b", "unclosed '{'")]
    [InlineData("a}", "unmatched '}'")]
    [InlineData("", "empty glob")]
    public void Malformed_globs_say_what_is_wrong(string pattern, string error)
    {
        Glob.TryParse(pattern, out _, out var message).ShouldBeFalse();
        message.ShouldNotBeNull().ShouldContain(error);
    }

    [Theory]
    [InlineData("envs/prod", "../../modules/x", "modules/x")]
    [InlineData("envs/prod", "./sub", "envs/prod/sub")]
    [InlineData(".", "a/../b", "b")]
    [InlineData("envs", "../../x", null)]
    public void Repository_paths_combine_and_never_leave_the_root(string dir, string relative, string? expected) =>
        RepoPath.Combine(dir, relative).ShouldBe(expected);
}
