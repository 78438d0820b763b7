using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;

namespace PlanBot.Core.Tests.Config;

/// <summary>Policy keys from the trusted side (the base), layout keys from the head; what the head changes is reported.</summary>
public class TrustedPolicyTests
{
    private static PlanBotConfig Parse(string yaml) => ConfigLoader.Parse("planbot.yaml", yaml);

    [Fact]
    public void The_heads_policy_keys_are_ignored_and_reported_and_its_layout_is_taken()
    {
        var trusted = Parse("""
            projects:
              - { dir: network, foundational: true }
            pull_requests: { plan_forks: false }
            """);
        var head = Parse("""
            projects:
              - { dir: network, foundational: false }
              - { dir: app, depends_on: [network] }
            discovery: { ignore: ["legacy/**"] }
            approval: { destructive: false, allow_self_approval: true, approvers: { min_permission: read } }
            apply: { mode: comment }
            commands: { plan: { min_permission: read } }
            locks: { backend: github }
            plans: { store: s3, s3: { bucket: b } }
            pull_requests: { plan_forks: true }
            comments: { mask: ["x"] }
            terraform: { binary: /tmp/evil }
            """);

        var merged = TrustedPolicy.Merge(trusted, head);

        merged.Approval.Destructive.ShouldBeTrue();
        merged.Approval.AllowSelfApproval.ShouldBeFalse();
        merged.Approval.MinPermission.ShouldBe("maintain");
        merged.ApplyMode.ShouldBe(ApplyMode.OnMerge);
        merged.Commands.Plan.ShouldBe("write");
        merged.LocksBackend.ShouldBe("local");
        merged.PlansStore.ShouldBe("local");
        merged.PullRequests.PlanForks.ShouldBeFalse();
        merged.Comments.Mask.ShouldBeEmpty();
        merged.Terraform.Binary.ShouldBe("terraform");
        merged.Projects.Select(p => (p.Dir, p.Foundational)).ShouldBe([("network", true), ("app", false)]);
        merged.Projects[1].DependsOn.ShouldBe(["network"]);
        merged.Discovery.Ignore.Single().Pattern.ShouldBe("legacy/**");
        merged.PolicyChanges.ShouldBe(["approval", "apply", "commands", "locks", "plans", "pull_requests", "comments.mask", "terraform", "projects[network].foundational"]);
    }

    [Fact]
    public void A_head_with_the_same_policy_changes_nothing_and_no_base_file_means_the_defaults_policy()
    {
        var yaml = "approval: { foundational_paths: [\"prod/**\"] }\nprojects:\n  - { dir: a }\n";
        TrustedPolicy.Merge(Parse(yaml), Parse(yaml + "  - { dir: b }\n")).PolicyChanges.ShouldBeEmpty();
        var merged = TrustedPolicy.Merge(PlanBotConfig.Default, Parse("approval: { destructive: false }\n"));
        merged.Approval.Destructive.ShouldBeTrue();
        merged.PolicyChanges.ShouldBe(["approval"]);
    }

    [Fact]
    public void Commands_min_permission_keys_are_validated_with_their_line()
    {
        var config = Parse("commands:\n  plan: { min_permission: triage }\n  apply: { min_permission: admin }\n");
        config.Commands.ShouldBe(new CommandSettings { Plan = "triage", Unlock = "write", Apply = "admin" });
        PlanBotConfig.Default.Commands.ShouldBe(new CommandSettings { Plan = "write", Unlock = "write", Apply = null });

        var error = Should.Throw<ConfigException>(() => Parse("commands:\n  unlock: { min_permission: owner }\n")).Errors.Single();
        error.ToString().ShouldBe("planbot.yaml:2:29: 'commands.unlock.min_permission' is 'owner': use one of read, triage, write, maintain, admin");
        Should.Throw<ConfigException>(() => Parse("commands:\n  approve: { min_permission: read }\n")).Errors.Single().Line.ShouldBe(2);
    }

    [Fact]
    public async Task The_loader_reads_the_base_through_git_under_the_config_path_and_fails_closed_on_an_unreadable_base()
    {
        using var dir = new PlanBot.Testing.TempDir("planbot-trusted");
        Directory.CreateDirectory(dir.Combine("ci"));
        await File.WriteAllTextAsync(dir.Combine("ci", "planbot.yaml"), "approval: { destructive: false }\nprojects:\n  - { dir: app }\n");
        var git = new BaseFiles(new() { ["base1:ci/planbot.yaml"] = "approval: { foundational_types: [\"aws_iam_*\"] }\n" });

        var run = await RunConfigLoader.LoadForPullRequestAsync(git, dir.Path, "base1", "ci", CancellationToken.None);

        git.Asked.ShouldBe(["base1:ci/planbot.yaml"]);
        run.Config.Approval.Destructive.ShouldBeTrue();
        run.Config.Approval.FoundationalTypes.Single().Pattern.ShouldBe("aws_iam_*");
        run.Config.Projects.Single().Dir.ShouldBe("app");
        run.Config.PolicyChanges.ShouldBe(["approval"]);

        var invalid = new BaseFiles(new() { ["base2:ci/planbot.yaml"] = "approval: { destructive: maybe }\n" });
        var error = await Should.ThrowAsync<ConfigException>(() => RunConfigLoader.LoadForPullRequestAsync(invalid, dir.Path, "base2", "ci", CancellationToken.None));
        error.Errors.Single().File.ShouldBe("ci/planbot.yaml (base base2)");
        await Should.ThrowAsync<ConfigException>(() => RunConfigLoader.LoadForPullRequestAsync(git, dir.Path, "base1", "../elsewhere", CancellationToken.None));
        await Should.ThrowAsync<ConfigException>(() => RunConfigLoader.LoadForPullRequestAsync(new BaseFiles([]) { Missing = true }, dir.Path, "gone", "ci", CancellationToken.None));
    }

    /// <summary>planbot.yaml at base commits, as git would show them.</summary>
    internal sealed class BaseFiles(Dictionary<string, string> files) : IGit
    {
        public List<string> Asked { get; } = [];
        public bool Missing { get; init; }

        public Task<string?> ShowFileAsync(string repoDir, string sha, string path, CancellationToken cancellationToken)
        {
            if (Missing)
            {
                throw new PlanBot.Core.Common.UsageException($"'{sha}' is not a commit");
            }

            Asked.Add($"{sha}:{path}");
            return Task.FromResult(files.GetValueOrDefault($"{sha}:{path}"));
        }

        public Task<string> ResolveAsync(string repoDir, string reference, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<string> MergeBaseAsync(string repoDir, string a, string b, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<ChangedFile>> DiffAsync(string repoDir, string fromSha, string toSha, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
