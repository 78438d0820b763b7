using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Discovery;

public class ChangeDetectorTests
{
    private static readonly Dictionary<string, string> Files = new()
    {
        ["modules/base/main.tf"] = "variable \"x\" {}",
        ["modules/svc/main.tf"] = "module \"b\" {\n  source = \"../base\"\n}",
        ["envs/prod/app/main.tf"] = "module \"s\" {\n  source = \"../../../modules/svc\"\n}",
        ["envs/prod/app/templates/user_data.sh"] = "#!/bin/sh",
        ["envs/prod/db/main.tf"] = "resource \"terraform_data\" \"db\" {}",
        ["envs/prod/db/replica/main.tf"] = "resource \"terraform_data\" \"r\" {}",
        ["shared/policy.json"] = "{}",
    };

    private static ChangeSet Detect(string? yaml, params ChangedFile[] changes)
    {
        var config = yaml is null ? PlanBotConfig.Default : ConfigLoader.Parse("planbot.yaml", yaml);
        return ChangeDetector.Detect(ProjectDiscovery.Discover(new MemoryFileTree(Files), config), changes);
    }

    private static ChangedFile Modified(string path) => new(path, FileChangeKind.Modified);

    [Fact]
    public void A_file_in_a_project_dir_or_below_affects_the_deepest_project_holding_it()
    {
        Detect(null, Modified("envs/prod/app/templates/user_data.sh")).Affected.Select(a => a.Project.Name).ShouldBe(["envs/prod/app"]);
        Detect(null, Modified("envs/prod/db/replica/main.tf")).Affected.Select(a => a.Project.Name).ShouldBe(["envs/prod/db/replica"]);
    }

    [Fact]
    public void A_change_in_a_module_reaches_projects_through_every_level_of_calls()
    {
        var affected = Detect(null, Modified("modules/base/main.tf")).Affected.Single();
        affected.Project.Name.ShouldBe("envs/prod/app");
        affected.Reasons.Single().ShouldBe("uses module modules/base (modules/base/main.tf changed)");
    }

    [Fact]
    public void Markdown_and_unrelated_files_affect_nothing()
    {
        Detect(null, Modified("envs/prod/app/README.md"), Modified("docs/x.txt")).Affected.ShouldBeEmpty();
    }

    [Fact]
    public void When_modified_globs_relative_to_the_project_add_projects()
    {
        var set = Detect("projects:\n  - dir: envs/prod/db\n    when_modified: ['../../../shared/*.json']\n", Modified("shared/policy.json"));
        set.Affected.Single().Reasons.Single().ShouldBe("shared/policy.json matches when_modified 'shared/*.json'");
    }

    [Fact]
    public void A_rename_counts_both_its_old_and_new_path()
    {
        var set = Detect(null, new ChangedFile("envs/prod/db/main.tf", FileChangeKind.Renamed, "envs/prod/app/old.tf"));
        set.Affected.Select(a => a.Project.Name).ShouldBe(["envs/prod/app", "envs/prod/db"]);
    }

    [Fact]
    public void A_deleted_project_dir_is_reported_not_dropped()
    {
        var set = Detect(null, new ChangedFile("envs/old/main.tf", FileChangeKind.Deleted), new ChangedFile("modules/gone/main.tf", FileChangeKind.Deleted));
        set.Deleted.Single().ShouldBe(new DeletedProject("envs/old", ["envs/old/main.tf"]), new DeletedComparer());
        set.Affected.ShouldBeEmpty();
    }

    private sealed class DeletedComparer : IEqualityComparer<DeletedProject>
    {
        public bool Equals(DeletedProject? x, DeletedProject? y) => x!.Dir == y!.Dir && x.DeletedFiles.SequenceEqual(y.DeletedFiles);

        public int GetHashCode(DeletedProject obj) => obj.Dir.GetHashCode(StringComparison.Ordinal);
    }
}
