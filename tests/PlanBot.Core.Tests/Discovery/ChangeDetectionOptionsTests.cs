using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Discovery;

/// <summary>autoplan.modules and when_modified replacing the dir rule (issue 17, item 5).</summary>
public class ChangeDetectionOptionsTests
{
    private static readonly Dictionary<string, string> Files = new()
    {
        ["modules/base/main.tf"] = "variable \"x\" {}",
        ["envs/prod/app/main.tf"] = "module \"b\" {\n  source = \"../../../modules/base\"\n}",
        ["envs/prod/db/main.tf"] = "resource \"terraform_data\" \"db\" {}",
        ["envs/prod/db/schema.sql"] = "create table t (id int);",
        ["shared/policy.json"] = "{}",
    };

    private static string[] Affected(string? yaml, params string[] changed)
    {
        var config = yaml is null ? PlanBotConfig.Default : ConfigLoader.Parse("planbot.yaml", yaml);
        var discovery = ProjectDiscovery.Discover(new MemoryFileTree(Files), config);
        return ChangeDetector.Detect(discovery, changed.Select(c => new ChangedFile(c, FileChangeKind.Modified)).ToArray())
            .Affected.Select(a => a.Project.Name).ToArray();
    }

    [Fact]
    public void An_explicit_when_modified_replaces_the_any_file_in_the_dir_rule()
    {
        const string yaml = "projects:\n  - dir: envs/prod/db\n    when_modified: ['*.tf']\n";
        Affected(yaml, "envs/prod/db/schema.sql").ShouldBeEmpty();
        Affected(yaml, "envs/prod/db/main.tf").ShouldBe(["envs/prod/db"]);
        Affected(null, "envs/prod/db/schema.sql").ShouldBe(["envs/prod/db"], "without when_modified every file in the dir counts");
    }

    [Fact]
    public void Double_star_in_when_modified_keeps_the_whole_dir_and_adds_other_paths()
    {
        const string yaml = "projects:\n  - dir: envs/prod/db\n    when_modified: ['**', '../../../shared/*.json']\n";
        Affected(yaml, "envs/prod/db/schema.sql").ShouldBe(["envs/prod/db"]);
        Affected(yaml, "shared/policy.json").ShouldBe(["envs/prod/db"]);
    }

    [Fact]
    public void Autoplan_modules_false_stops_following_module_callers_repository_wide_or_per_project()
    {
        Affected(null, "modules/base/main.tf").ShouldBe(["envs/prod/app"]);
        Affected("autoplan: { modules: false }\n", "modules/base/main.tf").ShouldBeEmpty();
        Affected("autoplan: { modules: false }\n", "envs/prod/app/main.tf").ShouldBe(["envs/prod/app"], "the project's own files still count");
        Affected("autoplan: { modules: false }\nprojects:\n  - dir: envs/prod/app\n    autoplan: { modules: true }\n", "modules/base/main.tf").ShouldBe(["envs/prod/app"]);
        Affected("projects:\n  - dir: envs/prod/app\n    autoplan: { modules: false }\n", "modules/base/main.tf").ShouldBeEmpty();
    }

    [Theory]
    [InlineData("autoplan: { modules: sometimes }\n", "planbot.yaml:1:22: 'autoplan.modules' must be true or false, got 'sometimes'")]
    [InlineData("autoplan: { modulez: false }\n", "planbot.yaml:1:13: unknown key 'modulez' in autoplan (did you mean 'modules'?)")]
    [InlineData("projects:\n  - dir: a\n    autoplan: { enabled: false }\n", "planbot.yaml:3:17: unknown key 'enabled' in projects[0].autoplan")]
    public void Bad_autoplan_settings_are_errors_naming_the_line(string yaml, string error) =>
        Should.Throw<ConfigException>(() => ConfigLoader.Parse("planbot.yaml", yaml)).Message.ShouldStartWith(error);
}
