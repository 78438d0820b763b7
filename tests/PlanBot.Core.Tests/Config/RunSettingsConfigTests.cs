using PlanBot.Core.Config;

namespace PlanBot.Core.Tests.Config;

/// <summary>terraform.var_files, backend_config, env and extra_args: validated with file:line errors.</summary>
public class RunSettingsConfigTests
{
    [Fact]
    public void Defaults_and_project_settings_combine_defaults_first()
    {
        var config = ConfigLoader.Parse("planbot.yaml", """
            terraform:
              var_files: [common.tfvars]
              backend_config: ["bucket=acme"]
              env: { A: "1", B: "2" }
              extra_args: { plan: ["-parallelism=5"] }
            projects:
              - dir: envs/prod
                terraform:
                  var_files: [prod.tfvars, /shared/x.tfvars]
                  backend_config: [prod.hcl]
                  env: { B: "3", TOKEN: { from: GH_TOKEN } }
                  extra_args: { plan: ["-var-file", "extra.tfvars"], apply: ["-parallelism=2"] }
            """);
        var run = config.Terraform.Run.Then(config.Projects.Single().Run);
        run.VarFiles.ShouldBe(["common.tfvars", "envs/prod/prod.tfvars", "shared/x.tfvars"]);
        run.BackendConfig.ShouldBe([new BackendConfigEntry(null, "bucket=acme"), new BackendConfigEntry("envs/prod/prod.hcl", null)]);
        run.Env.ShouldBe([new EnvSetting("A", "1", false), new EnvSetting("B", "3", false), new EnvSetting("TOKEN", "GH_TOKEN", true)]);
        run.ExtraArgs["plan"].ShouldBe(["-parallelism=5", "-var-file", "extra.tfvars"]);
        run.ExtraArgs["apply"].ShouldBe(["-parallelism=2"]);
    }

    [Theory]
    [InlineData("terraform:\n  var_files: ['../outside.tfvars']", "planbot.yaml:2:15: 'terraform.var_files' entry '../outside.tfvars' must name a file inside the repository")]
    [InlineData("projects:\n  - dir: a\n    terraform:\n      backend_config: ['../../x.hcl']", "planbot.yaml:4:24: 'projects[].terraform.backend_config' entry '../../x.hcl' must name a file inside the repository")]
    [InlineData("terraform:\n  env: { 'BAD-NAME': x }", "planbot.yaml:2:10: 'terraform.env' name 'BAD-NAME' is not an environment variable name")]
    [InlineData("terraform:\n  env: { PLANBOT_GITHUB_TOKEN: x }", "planbot.yaml:2:10: 'terraform.env' cannot set PLANBOT_GITHUB_TOKEN")]
    [InlineData("terraform:\n  env: { A: { form: B } }", "planbot.yaml:2:15: unknown key 'form' in terraform.env.A (did you mean 'from'?)")]
    [InlineData("terraform:\n  extra_args: { plan: ['-out=x.tfplan'] }", "planbot.yaml:2:24: 'terraform.extra_args.plan' cannot pass -out: PlanBot sets it itself")]
    [InlineData("terraform:\n  extra_args: { plan: ['rm -rf /'] }", "planbot.yaml:2:24: 'terraform.extra_args.plan' entry 'rm -rf /' is not a flag")]
    [InlineData("terraform:\n  extra_args: { destroy: ['-x'] }", "planbot.yaml:2:17: unknown key 'destroy' in terraform.extra_args")]
    public void Bad_settings_are_errors_naming_file_line_and_fix(string yaml, string error) =>
        Should.Throw<ConfigException>(() => ConfigLoader.Parse("planbot.yaml", yaml)).Message.ShouldStartWith(error);
}
