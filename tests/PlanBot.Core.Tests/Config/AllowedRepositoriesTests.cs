using PlanBot.Core.Config;

namespace PlanBot.Core.Tests.Config;

/// <summary>The server policy's allowed_repositories: which repositories the operator's PlanBot acts for.</summary>
public class AllowedRepositoriesTests
{
    private static readonly AllowedRepositories List = new(["acme/infra", "platform/*", "Data-Team/lake.tf"]);

    [Theory]
    [InlineData("acme/infra")]
    [InlineData("ACME/Infra")] // GitHub's names are case-insensitive
    [InlineData("platform/anything")]
    [InlineData("PLATFORM/x.y_z-1")]
    [InlineData("data-team/LAKE.TF")]
    public void Listed_names_and_owner_globs_are_admitted_ignoring_case(string repo) => List.Admits(repo).ShouldBeTrue();

    [Theory]
    [InlineData("acme/infra2")]
    [InlineData("acme/infr")]
    [InlineData("acme-evil/infra")]
    [InlineData("evil-acme/infra")]
    [InlineData("acme/other")]
    [InlineData("platform")] // no name
    [InlineData("platform/")]
    [InlineData("/infra")]
    [InlineData("")]
    [InlineData("platform/a/b")] // a path, not a repository
    [InlineData("platform/../acme")]
    [InlineData("platform/..")]
    [InlineData("platform/.")]
    [InlineData("acme/infra\n")] // a regex '$' would accept this
    [InlineData("acme/infra ")]
    [InlineData(" acme/infra")]
    [InlineData("acme/infra\0")]
    [InlineData("acme/*")] // a glob in the event is not a name
    [InlineData("acme/inf*")]
    [InlineData("platform/\u202Eevil")] // bidi override
    [InlineData("\u212Acme/infra")] // Kelvin sign: culture case folding would make it a k
    [InlineData("acme/ınfra")] // dotless i
    [InlineData("acme/infra\u200B")] // zero-width space
    public void Other_and_hostile_names_are_refused(string repo) => List.Admits(repo).ShouldBeFalse();

    [Fact]
    public void No_list_admits_every_repository_even_odd_names()
    {
        AllowedRepositories.All.Admits("anyone/anything").ShouldBeTrue();
        AllowedRepositories.All.Restricts.ShouldBeFalse();
    }

    [Theory]
    [InlineData("acme/infra", true)]
    [InlineData("acme/*", true)]
    [InlineData("enterprise_emu/repo.name-1", true)]
    [InlineData("*", false)]
    [InlineData("*/*", false)]
    [InlineData("acme", false)]
    [InlineData("acme/in*", false)]
    [InlineData("acme/infra/", false)]
    [InlineData("-acme/infra", false)]
    [InlineData("acme/..", false)]
    [InlineData("https://github.com/acme/infra", false)]
    public void Entries_are_owner_slash_name_or_owner_slash_star(string pattern, bool valid) =>
        (AllowedRepositories.PatternError(pattern) is null).ShouldBe(valid);

    [Fact]
    public void The_server_policy_reads_the_list_and_names_a_bad_entry_with_its_line()
    {
        var policy = ServerPolicy.Parse("/etc/planbot/policy.yaml", "allowed_repositories: [acme/infra, \"platform/*\"]\napproval: { destructive: true }\n");
        policy.Repositories.Patterns.ShouldBe(["acme/infra", "platform/*"]);
        policy.Refusal("Platform/network").ShouldBeNull();
        policy.Refusal("mallory/infra").ShouldBe("repository 'mallory/infra' is not in allowed_repositories of the server policy /etc/planbot/policy.yaml (acme/infra, platform/*): nothing was checked out, planned or written; add it (or owner/*) there to let PlanBot act for it");
        policy.Refusal("evil/x\n[info] fake log line").ShouldNotBeNull().ShouldContain("'evil/x\\u000a[info] fake log line'", customMessage: "a hostile name cannot forge a second log line");

        var error = Should.Throw<ConfigException>(() => ServerPolicy.Parse("policy.yaml", "approval: { destructive: true }\nallowed_repositories:\n  - acme/infra\n  - \"*\"\n")).Errors.Single();
        error.ToString().ShouldBe("policy.yaml:4:5: 'allowed_repositories' entry '*' is not a repository: write owner/name or owner/* (for example acme/infra, acme/*)");
        ServerPolicy.Parse("policy.yaml", "approval: { destructive: true }\n").Refusal("anyone/anything").ShouldBeNull("no list: every repository");
    }

    [Fact]
    public void A_repositorys_own_planbot_yaml_cannot_list_repositories()
    {
        var error = Should.Throw<ConfigException>(() => ConfigLoader.Parse("planbot.yaml", "locks: { backend: local }\nallowed_repositories: [mallory/*]\n")).Errors.Single();
        error.ToString().ShouldBe("planbot.yaml:2:23: 'allowed_repositories' belongs in the server policy (planbot serve --policy, PLANBOT_POLICY_FILE), not in a repository's planbot.yaml: remove it");
    }
}
