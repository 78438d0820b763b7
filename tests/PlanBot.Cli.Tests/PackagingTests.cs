using System.Text.RegularExpressions;
using PlanBot.Testing;
using YamlDotNet.RepresentationModel;

namespace PlanBot.Cli.Tests;

/// <summary>action.yml, the Dockerfile and CI agree with each other and with the code.</summary>
public partial class PackagingTests
{
    [GeneratedRegex(@"\$\{\{\s*inputs\.([a-z0-9-]+)\s*\}\}")]
    private static partial Regex InputReference();

    private static string Read(params string[] path) => File.ReadAllText(Path.Combine([Fixtures.RepoRoot, .. path]));

    [Fact]
    public void Every_action_input_reaches_planbot_run_through_an_argument_or_a_variable_the_code_reads()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Read("action.yml")));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var inputs = ((YamlMappingNode)root["inputs"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToArray();
        var runs = (YamlMappingNode)root["runs"];
        ((YamlScalarNode)runs["using"]).Value.ShouldBe("docker");
        var args = ((YamlSequenceNode)runs["args"]).Children.Select(a => ((YamlScalarNode)a).Value!).ToArray();
        args[0].ShouldBe("run");
        var env = ((YamlMappingNode)runs["env"]).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);
        var code = string.Concat(Directory.EnumerateFiles(Path.Combine(Fixtures.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));

        inputs.Length.ShouldBeGreaterThan(5);
        foreach (var input in inputs)
        {
            var inArgs = args.Any(a => InputReference().Matches(a).Any(m => m.Groups[1].Value == input));
            var variable = env.FirstOrDefault(kv => InputReference().Matches(kv.Value).Any(m => m.Groups[1].Value == input)).Key;
            (inArgs || variable is not null).ShouldBeTrue($"input '{input}' is passed to nothing");
            if (variable is not null)
            {
                code.ShouldContain($"\"{variable}\"", Case.Sensitive, $"input '{input}' becomes {variable}, which no code reads");
            }
        }

        ((YamlMappingNode)root["outputs"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order().ShouldBe(["has-changes", "needs-approval", "report-path"]);
    }

    [Fact]
    public void The_dockerfile_publishes_exactly_as_ci_does_and_checks_the_terraform_download()
    {
        var docker = Read("Dockerfile");
        var publish = Regex.Match(docker, @"RUN (dotnet publish [^\n]*?) -o /out").Groups[1].Value;
        publish.ShouldStartWith("dotnet publish src/PlanBot.Cli -c Release");
        Read(".ci", "run").ShouldContain(publish + " -o \"$publish\"");
        docker.ShouldContain("sha256sum -c -");
        Regex.IsMatch(docker, "TERRAFORM_SHA256=[0-9a-f]{64}").ShouldBeTrue();
        docker.ShouldContain("ENTRYPOINT [\"dotnet\", \"/app/planbot.dll\"]");
    }

    [Fact]
    public void The_example_workflows_cover_plan_commands_apply_and_drift_and_fetch_full_history_to_plan()
    {
        var workflows = Directory.EnumerateFiles(Path.Combine(Fixtures.RepoRoot, "action"), "*.yml").Select(Path.GetFileName).Order().ToArray();
        workflows.ShouldBe(["apply.yml", "commands.yml", "drift.yml", "plan.yml"]);
        Read("action", "plan.yml").ShouldContain("fetch-depth: 0");
        Read("action", "plan.yml").ShouldContain("statuses: write");
        Read("action", "commands.yml").ShouldContain("issue_comment");
    }
}
