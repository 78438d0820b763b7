using PlanBot.Core.Config;

namespace PlanBot.Core.Tests.Config;

public class ConfigTests
{
    private static ConfigException Fails(string yaml) =>
        Should.Throw<ConfigException>(() => ConfigLoader.Parse("planbot.yaml", yaml));

    [Fact]
    public void A_full_valid_file_loads_into_the_validated_model()
    {
        var config = ConfigLoader.Parse("planbot.yaml", """
            version: 1
            terraform:
              binary: tofu
              timeout: 45m
              lock_timeout: 90s
            parallelism: 8
            discovery:
              ignore: ["legacy/**"]
            projects:
              - name: network
                dir: ./envs/prod/network/
                workspace: blue
                depends_on: [base]
                when_modified: ["*.tf", "../../shared/**/*.json"]
                foundational: true
              - dir: envs/prod/base
            approval:
              destructive: false
              foundational_paths: ["envs/prod/**"]
              foundational_types: ["aws_iam_*"]
              approvers: { users: ["@alice"], teams: [platform], min_permission: admin }
              allow_self_approval: true
              required: 2
            apply: { mode: comment }
            locks: { backend: dynamodb, ttl: 3d, dynamodb: { table: tf-locks } }
            plans: { store: s3, s3: { bucket: acme-plans } }
            comments: { max_chars: 30000, max_parts: 3, mask: ["secret-[0-9]+"] }
            """);
        config.Terraform.Binary.ShouldBe("tofu");
        config.Terraform.StepTimeout.ShouldBe(TimeSpan.FromMinutes(45));
        config.Terraform.LockTimeout.ShouldBe(TimeSpan.FromSeconds(90));
        config.Parallelism.ShouldBe(8);
        var network = config.Projects[0];
        network.Name.ShouldBe("network");
        network.Dir.ShouldBe("envs/prod/network");
        network.Workspace.ShouldBe("blue");
        network.DependsOn.ShouldBe(["base"]);
        network.WhenModified.Select(g => g.Pattern).ShouldBe(["envs/prod/network/*.tf", "envs/shared/**/*.json"]);
        network.WhenModified[1].IsMatch("envs/shared/x/y.json").ShouldBeTrue();
        network.Foundational.ShouldBeTrue();
        config.Projects[1].Name.ShouldBeNull();
        config.Approval.Users.ShouldBe(["alice"]);
        config.Approval.MinPermission.ShouldBe("admin");
        config.Approval.Required.ShouldBe(2);
        config.ApplyMode.ShouldBe(ApplyMode.Comment);
        config.LocksBackend.ShouldBe("dynamodb");
        config.LocksTtl.ShouldBe(TimeSpan.FromDays(3));
        config.Comments.MaxChars.ShouldBe(30000);
    }

    [Fact]
    public void An_empty_file_means_defaults()
    {
        var config = ConfigLoader.Parse("planbot.yaml", "");
        config.Parallelism.ShouldBe(4);
        config.Approval.MinPermission.ShouldBe("maintain");
        config.Comments.MaxChars.ShouldBe(65_000);
    }

    [Fact]
    public void Unknown_keys_name_the_line_and_suggest_the_right_one()
    {
        var error = Fails("version: 1\nparalelism: 3\n");
        error.Errors.Single().ToString().ShouldStartWith("planbot.yaml:2:1: unknown key 'paralelism' in the top level (did you mean 'parallelism'?); allowed keys: version, terraform, parallelism, discovery, projects, approval, apply, locks, plans, pull_requests, commands, comments");
    }

    [Theory]
    [InlineData("parallelism: lots", 1, "'parallelism' must be a whole number, got 'lots'")]
    [InlineData("approval:\n  destructive: maybe", 2, "'approval.destructive' must be true or false, got 'maybe'")]
    [InlineData("projects:\n  dir: a", 2, "'projects' must be a list")]
    [InlineData("projects:\n  - name: x", 2, "a project needs 'dir'")]
    [InlineData("projects:\n  - dir: ../outside", 2, "must be relative and stay inside the repository")]
    [InlineData("projects:\n  - dir: a\n    when_modified: ['[oops']", 3, "bad glob '[oops' in when_modified: unclosed '['")]
    [InlineData("approval:\n  foundational_paths: ['{a,b']", 2, "unclosed '{'")]
    [InlineData("locks:\n  backend: redis", 2, "'locks.backend' is 'redis': use one of local, dynamodb, azure, github")]
    [InlineData("parallelism: 0", 1, "use a number from 1 to 64")]
    [InlineData("locks:\n  ttl: forever", 2, "write a duration like 90s")]
    [InlineData("version: 2", 1, "unsupported version 2")]
    [InlineData("comments:\n  mask: ['(']", 2, "not a valid regular expression")]
    [InlineData("terraform: [a]", 1, "terraform must be a mapping")]
    [InlineData("parallelism: 1\nparallelism: 2", 2, "Duplicate key parallelism")]
    public void Wrong_types_and_values_are_errors_with_file_and_line(string yaml, int line, string message)
    {
        var errors = Fails(yaml).Errors;
        var error = errors.FirstOrDefault(e => e.Message.Contains(message, StringComparison.Ordinal));
        error.ShouldNotBeNull(string.Join("; ", errors));
        error.File.ShouldBe("planbot.yaml");
        error.Line.ShouldBe(line);
    }

    [Fact]
    public void Backend_settings_are_read_and_a_missing_required_one_names_its_line()
    {
        var valid = ConfigLoader.Parse("planbot.yaml", "locks:\n  backend: dynamodb\n  dynamodb: { table: tf-locks, region: eu-west-1, endpoint: http://127.0.0.1:8000 }\nplans:\n  store: s3\n  s3: { bucket: plans, sse: aws:kms, kms_key_id: alias/planbot }\n");
        valid.LocksBackend.ShouldBe("dynamodb");
        valid.Backends["locks.dynamodb"]["table"].ShouldBe("tf-locks");
        valid.Backends["plans.s3"]["kms_key_id"].ShouldBe("alias/planbot");

        Fails("locks:\n  backend: azure\n  azure: { account: acme }\n").Message.ShouldStartWith("planbot.yaml:2:12: 'locks.azure' needs 'container'");
        Fails("plans:\n  store: s3\n  s3: { bucket: b, colour: red }\n").Message.ShouldContain("unknown key 'colour'");
    }

    [Fact]
    public void Malformed_yaml_is_one_positioned_error()
    {
        var error = Fails("projects:\n  - dir: a\n   bad: [\n").Errors.Single();
        error.Line.ShouldBeGreaterThan(1);
        error.Message.ShouldStartWith("invalid YAML");
    }

    [Fact]
    public void Two_projects_with_one_name_are_refused()
    {
        Fails("projects:\n  - dir: a\n  - dir: b\n    name: a\n").Errors.Single().Message.ShouldContain("project name 'a' is used by the projects on lines 2, 3");
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        Fails("parallelism: x\nlocks:\n  backend: nope\nfoo: 1\n").Errors.Count.ShouldBe(3);
    }

    [Fact]
    public void Loader_reads_no_file_as_defaults_and_a_bad_file_as_an_error()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            ConfigLoader.Load(dir).ShouldBeSameAs(PlanBotConfig.Default);
            File.WriteAllText(Path.Combine(dir, "planbot.yml"), "bogus: 1\n");
            Should.Throw<ConfigException>(() => ConfigLoader.Load(dir)).Message.ShouldStartWith("planbot.yml:1:1");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
