using System.Text.RegularExpressions;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Config;

/// <summary>
/// Issue 14's config cases, unit by unit: a catastrophic <c>comments.mask</c> regex, two projects on
/// one state, a reversed glob range and the ways people write <c>discovery.ignore</c>, each refused
/// (or accepted) at load, with file:line, before terraform runs.
/// </summary>
public class HostileConfigTests
{
    private static ConfigError SingleError(string yaml) =>
        Should.Throw<ConfigException>(() => ConfigLoader.Parse("planbot.yaml", yaml)).Errors.ShouldHaveSingleItem();

    [Theory]
    [InlineData("(a+)+$")]
    [InlineData("(a|a)*$")]
    [InlineData("(x+x+)+y")]
    [InlineData("^(\\w+\\s?)*$")]
    public void A_catastrophic_mask_regex_is_refused_at_load_with_its_line(string pattern)
    {
        var error = SingleError($"version: 1\ncomments:\n  max_parts: 3\n  mask:\n    - 'ok-[0-9]+'\n    - '{pattern}'\n");
        error.File.ShouldBe("planbot.yaml");
        error.Line.ShouldBe(6);
        error.Message.ShouldContain("catastrophic backtracking");
        error.Message.ShouldContain("(a+)+"); // the fix names the shape to remove
        error.ToString().ShouldStartWith("planbot.yaml:6:");
    }

    [Theory]
    [InlineData("secret-[0-9]+")]
    [InlineData("AKIA[0-9A-Z]{16}")]
    [InlineData("(?i)password=\\S+")]
    [InlineData("[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}")]
    [InlineData("^ghp_[A-Za-z0-9]{36}$")]
    public void Ordinary_mask_regexes_pass_the_probe_and_are_kept(string pattern)
    {
        var config = ConfigLoader.Parse("planbot.yaml", $"comments:\n  mask: ['{pattern}']\n");
        config.Comments.Mask.ShouldBe([pattern]);
    }

    [Fact]
    public void The_probe_finds_a_slow_input_for_nested_repetition_and_none_for_a_linear_pattern()
    {
        RegexProbe.FindSlowInput(new Regex("(a+)+$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(200))).ShouldNotBeNull();
        RegexProbe.FindSlowInput(new Regex("a+$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(200))).ShouldBeNull();
        // .NET makes (a|a)* into (a)*: quadratic, not exponential, so only the long run shows it, and at a length where
        // the verdict is no close call (at 4,096 characters it took about the 1 s timeout: refused or not by the CPU's speed)
        RegexProbe.FindSlowInput(new Regex("(a|a)*$", RegexOptions.CultureInvariant, RegexProbe.MatchTimeout)).ShouldBe(new string('a', 16_384) + "\u0001");
        RegexProbe.MatchTimeout.ShouldBeLessThanOrEqualTo(TimeSpan.FromSeconds(1), "the same timeout guards the run: a probe that passed cannot stall a comment for long");
    }

    [Fact]
    public void Two_projects_on_one_dir_and_workspace_with_the_same_backend_are_one_state_planned_twice()
    {
        var error = SingleError("""
            projects:
              - name: a
                dir: net
              - name: b
                dir: ./net/
            """);
        error.Line.ShouldBe(4);
        error.Message.ShouldBe("the projects on lines 2 and 4 both plan dir 'net' in workspace 'default' (one state, planned twice): remove one, or give it another 'workspace' or 'terraform.backend_config'");
    }

    [Fact]
    public void Two_projects_on_one_dir_with_the_same_backend_config_file_are_still_one_state()
    {
        var error = SingleError("""
            projects:
              - name: a
                dir: net
                terraform: { backend_config: [prod.hcl] }
              - name: b
                dir: net
                terraform: { backend_config: [prod.hcl] }
            """);
        error.Message.ShouldContain("one state, planned twice");
    }

    [Fact]
    public void Two_projects_on_one_dir_with_different_backend_config_or_workspaces_are_fine()
    {
        var config = ConfigLoader.Parse("planbot.yaml", """
            projects:
              - name: net-staging
                dir: net
                terraform: { backend_config: [staging.hcl] }
              - name: net-prod
                dir: net
                terraform: { backend_config: [prod.hcl] }
              - name: net-blue
                dir: net
                workspace: blue
            """);
        config.Projects.Select(p => p.Name).ShouldBe(["net-staging", "net-prod", "net-blue"]);
    }

    [Theory]
    [InlineData("discovery:\n  ignore:\n    - 'ok/**'\n    - '[z-a]/**'\n", 4, "'discovery.ignore'")]
    [InlineData("projects:\n  - dir: net\n    when_modified: ['*.tf', '[z-a].tf']\n", 3, "when_modified")]
    [InlineData("approval:\n  foundational_paths: ['[z-a]']\n", 2, "'approval.foundational_paths'")]
    public void A_reversed_glob_range_is_an_error_with_file_line_and_the_fix(string yaml, int line, string key)
    {
        var error = SingleError(yaml);
        error.Line.ShouldBe(line);
        error.Column.ShouldBeGreaterThan(0);
        error.Message.ShouldContain("[z-a]");
        error.Message.ShouldContain(key);
        error.Message.ShouldContain("write ranges low to high, like [a-z]");
    }

    [Theory]
    [InlineData("templates")]
    [InlineData("templates/")]
    [InlineData("/templates/**")]
    [InlineData("./templates/**")]
    [InlineData("templates/**")]
    public void Every_way_of_writing_an_ignored_dir_is_one_rule(string pattern)
    {
        var config = ConfigLoader.Parse("planbot.yaml", $"discovery:\n  ignore: ['{pattern}']\n");
        var rule = config.Discovery.Ignore.ShouldHaveSingleItem();
        rule.MatchesPathOrParent("templates").ShouldBeTrue(pattern);
        rule.MatchesPathOrParent("templates/aws/main.tf").ShouldBeTrue(pattern);
        rule.MatchesPathOrParent("other/templates/main.tf").ShouldBeFalse(pattern);
        rule.MatchesPathOrParent("templatesx/main.tf").ShouldBeFalse(pattern);

        var projects = ProjectDiscovery.Discover(new MemoryFileTree(new Dictionary<string, string>
        {
            ["templates/aws/main.tf"] = "terraform {\n  backend \"s3\" {}\n}",
            ["templates/main.tf"] = "terraform {\n  backend \"s3\" {}\n}",
            ["live/main.tf"] = "terraform {\n  backend \"s3\" {}\n}",
        }), config).Projects;
        projects.Select(p => p.Dir).ShouldBe(["live"], pattern);
    }

    [Fact]
    public void A_nested_ignored_dir_is_ignored_with_everything_below_it()
    {
        var config = ConfigLoader.Parse("planbot.yaml", "discovery:\n  ignore: ['templates/aws/']\n");
        var projects = ProjectDiscovery.Discover(new MemoryFileTree(new Dictionary<string, string>
        {
            ["templates/aws/main.tf"] = "terraform {\n  backend \"s3\" {}\n}",
            ["templates/aws/vpc/main.tf"] = "terraform {\n  backend \"s3\" {}\n}",
            ["templates/gcp/main.tf"] = "terraform {\n  backend \"s3\" {}\n}",
        }), config).Projects;
        projects.Select(p => p.Dir).ShouldBe(["templates/gcp"]);
    }

    [Theory]
    [InlineData("/", "it matches the whole repository")]
    [InlineData("./**", "it matches the whole repository")]
    [InlineData("../elsewhere", "it leaves the repository")]
    public void An_ignore_rule_for_the_whole_repository_or_outside_it_is_refused(string pattern, string why)
    {
        var error = SingleError($"discovery:\n  ignore: ['{pattern}']\n");
        error.Line.ShouldBe(2);
        error.Message.ShouldContain(why);
    }
}
