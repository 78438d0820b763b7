using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Discovery;

public class DiscoveryTests
{
    private static DiscoveryResult Discover(Dictionary<string, string> files, string? yaml = null) =>
        ProjectDiscovery.Discover(new MemoryFileTree(files), yaml is null ? PlanBotConfig.Default : ConfigLoader.Parse("planbot.yaml", yaml));

    private static readonly Dictionary<string, string> Monorepo = new()
    {
        ["modules/net/main.tf"] = "resource \"terraform_data\" \"x\" {}",
        ["modules/svc/main.tf"] = "module \"net\" {\n  source = \"../net\"\n}",
        ["envs/prod/network/main.tf"] = "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    key = \"prod/network\"\n  }\n}\nmodule \"n\" {\n  source = \"../../../modules/net\"\n}",
        ["envs/prod/app/main.tf"] = "module \"s\" {\n  source = \"../../../modules/svc\"\n}\nmodule \"remote\" {\n  source = \"git::https://example.com/x.git\"\n}",
        ["envs/prod/app/README.md"] = "docs",
        ["standalone/main.tf.json"] = "{\"resource\": {}}",
        ["examples/demo/main.tf"] = "resource \"terraform_data\" \"x\" {}",
        ["lib/modules/helper/main.tf"] = "variable \"x\" {}",
    };

    [Fact]
    public void Finds_root_modules_and_not_modules_examples_or_modules_dirs()
    {
        var result = Discover(Monorepo);
        result.Projects.Select(p => p.Name).ShouldBe(["envs/prod/app", "envs/prod/network", "standalone"]);
        result.ModuleDirs.Order().ShouldBe(["modules/net", "modules/svc"]);
    }

    [Fact]
    public void Follows_local_modules_transitively_and_ignores_remote_sources()
    {
        var app = Discover(Monorepo).Find("envs/prod/app")!;
        app.ModuleDirs.ShouldBe(["modules/net", "modules/svc"]);
    }

    [Fact]
    public void A_dir_that_declares_a_backend_is_a_project_even_when_called_as_a_module()
    {
        var result = Discover(new()
        {
            ["a/main.tf"] = "module \"b\" {\n  source = \"../b\"\n}",
            ["b/main.tf"] = "terraform {\n  cloud {}\n}",
        });
        result.Projects.Select(p => p.Name).ShouldBe(["a", "b"]);
    }

    [Fact]
    public void Configured_projects_replace_discovery_of_their_dir_and_carry_workspaces()
    {
        var result = Discover(Monorepo, """
            projects:
              - dir: envs/prod/network
                workspace: blue
              - name: net-green
                dir: envs/prod/network
                workspace: green
              - dir: missing/dir
            """);
        result.Projects.Select(p => p.Name).ShouldBe(["envs/prod/app", "envs/prod/network@blue", "missing/dir", "net-green", "standalone"]);
        result.Find("missing/dir")!.Exists.ShouldBeFalse();
        result.Find("net-green")!.Workspace.ShouldBe("green");
    }

    [Fact]
    public void Discovery_can_be_turned_off_and_dirs_ignored()
    {
        Discover(Monorepo, "discovery:\n  enabled: false\nprojects:\n  - dir: standalone\n").Projects.Select(p => p.Name).ShouldBe(["standalone"]);
        Discover(Monorepo, "discovery:\n  ignore: ['standalone']\n").Projects.Select(p => p.Name).ShouldBe(["envs/prod/app", "envs/prod/network"]);
    }

    [Fact]
    public void A_malformed_file_does_not_stop_discovery_and_is_reported_on_its_project()
    {
        var result = Discover(new()
        {
            ["bad/main.tf"] = "resource \"x\" \"y\" {\n  a = \"unterminated\n}",
            ["good/main.tf"] = "resource \"x\" \"y\" {}",
        });
        result.Projects.Select(p => p.Name).ShouldBe(["bad", "good"]);
        result.Find("bad")!.ParseErrors.Single().ShouldStartWith("bad/main.tf:2:");
        result.Find("good")!.ParseErrors.ShouldBeEmpty();
    }

    [Fact]
    public void State_addresses_come_from_backends_and_workspaces()
    {
        var result = Discover(Monorepo, "projects:\n  - dir: envs/prod/network\n    workspace: blue\n");
        result.Find("envs/prod/network@blue")!.StateAddress.ShouldBe("s3:b/env:/blue/prod/network");
        result.Find("standalone")!.StateAddress.ShouldBe("local:standalone/terraform.tfstate");
    }

    [FixtureFact]
    public void Atlantis_module_dependency_repos_give_the_dependants_atlantis_expects()
    {
        // Expectations from atlantis-module-deps/_expectations/modules_test.go.txt (Test_findModuleDependants).
        // Atlantis marks projects with autoplanModuleDependants "**/init.tf"; we discover them by our own rules.
        Dependants("repoA", "modules/bar").ShouldBe(["baz", "qux/quxx"]);
        Dependants("repoA", "modules/foo").ShouldBe(["qux/quxx"]);
        Dependants("repoB", "modules/bar").ShouldBe(["dev/quxx", "prod/quxx"]);
        Dependants("repoB", "modules/foo").ShouldBe(["dev/quxx", "prod/quxx"]);
        // A dir calling itself ("./") is still a project, and its own change affects it: as Atlantis expects.
        Dependants("repoC", "self").ShouldBe(["self"]);
    }

    [FixtureFact]
    public void Atlantis_mutual_module_cycle_differs_by_design_and_is_configurable()
    {
        // Atlantis expects a and b to be projects that affect each other. By our rules two dirs that call
        // each other are both modules, so nothing is discovered (by design: a module cycle is not a root);
        // listing them in planbot.yaml gives Atlantis' answer.
        var tree = MemoryFileTree.FromDirectory(Fixtures.Path("repos", "atlantis-module-deps", "repoD"));
        ProjectDiscovery.Discover(tree, PlanBotConfig.Default).Projects.ShouldBeEmpty();
        var config = ConfigLoader.Parse("planbot.yaml", "projects:\n  - dir: a\n  - dir: b\n");
        var result = ProjectDiscovery.Discover(tree, config);
        Affected(result, "a/init.tf").ShouldBe(["a", "b"]);
        Affected(result, "b/init.tf").ShouldBe(["a", "b"]);
    }

    [FixtureFact]
    public void Atlantis_modules_test_repo_plans_only_staging_when_only_staging_changes()
    {
        // atlantis-test-repos/modules: exp-output-autoplan-only-staging.txt plans staging alone after a
        // staging-only change, and both after a change to modules/null.
        var tree = MemoryFileTree.FromDirectory(Fixtures.Path("repos", "atlantis-test-repos", "modules"));
        var result = ProjectDiscovery.Discover(tree, PlanBotConfig.Default);
        result.Projects.Select(p => p.Name).ShouldBe(["production", "staging"]);
        Affected(result, "staging/main.tf").ShouldBe(["staging"]);
        Affected(result, "modules/null/main.tf").ShouldBe(["production", "staging"]);
    }

    [FixtureFact]
    public void Tfaction_module_callers_are_found_through_local_modules()
    {
        // tfaction-tests: aws/foo/dev and foo call modules; a change in a called module affects its callers.
        var tree = MemoryFileTree.FromDirectory(Fixtures.Path("repos", "tfaction-tests"));
        var result = ProjectDiscovery.Discover(tree, PlanBotConfig.Default);
        result.Projects.ShouldNotBeEmpty();
        foreach (var module in result.ModuleDirs)
        {
            var file = result.Dirs[module].Files[0];
            var affected = Affected(result, file);
            affected.ShouldNotBeEmpty($"module {module} has callers");
            affected.ShouldAllBe(name => result.Find(name)!.ModuleDirs.Contains(module));
        }
    }

    private static string[] Dependants(string repo, string moduleDir)
    {
        var tree = MemoryFileTree.FromDirectory(Fixtures.Path("repos", "atlantis-module-deps", repo));
        var result = ProjectDiscovery.Discover(tree, PlanBotConfig.Default);
        var file = tree.ListFiles().First(f => f.StartsWith(moduleDir + "/", StringComparison.Ordinal));
        return Affected(result, file);
    }

    private static string[] Affected(DiscoveryResult result, string changedFile) =>
        ChangeDetector.Detect(result, [new ChangedFile(changedFile, FileChangeKind.Modified)]).Affected.Select(a => a.Project.Name).ToArray();
}
