using System.Text.Json;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Terraform;
using PlanBot.Terraform.Files;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>Real terraform with a project's var files, backend config, env and extra args, and Terragrunt units (issue 17).</summary>
public class TerraformRunSettingsTests
{
    private static Project Discover(string root, string yaml, string name)
    {
        File.WriteAllText(Path.Combine(root, "planbot.yaml"), yaml);
        return ProjectDiscovery.Discover(new DiskFileTree(root), ConfigLoader.Load(root)).Find(name) ?? throw new InvalidOperationException(name);
    }

    private static TerraformContext Context(string root, Project project, string log) =>
        new() { WorkingDir = Path.Combine(root, project.Dir), Workspace = project.Workspace, LogFile = log, Run = project.Run };

    private static JsonElement Output(string planJson, string name) =>
        JsonDocument.Parse(File.ReadAllText(planJson)).RootElement.GetProperty("planned_values").GetProperty("outputs").GetProperty(name).GetProperty("value");

    [Fact]
    public async Task Var_files_env_and_extra_args_reach_terraform_as_argv()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("envs", "prod"));
        Directory.CreateDirectory(dir.Combine("vars"));
        File.WriteAllText(dir.Combine("envs", "prod", "main.tf"),
            "variable \"size\" {}\nvariable \"region\" {}\nvariable \"lit\" {}\nvariable \"token\" {}\n" +
            "resource \"terraform_data\" \"x\" {\n  input = var.size\n}\n" +
            "output \"all\" {\n  value = \"${var.size}/${var.region}/${var.lit}/${var.token}\"\n}\n");
        File.WriteAllText(dir.Combine("envs", "prod", "prod.tfvars"), "size = \"large; rm -rf /\"\n");
        File.WriteAllText(dir.Combine("vars", "common.tfvars"), "region = \"eu-west-1\"\n");
        var project = Discover(dir.Path, """
            terraform:
              var_files: [vars/common.tfvars]
              env: { TF_VAR_lit: "literal value" }
            projects:
              - dir: envs/prod
                terraform:
                  var_files: [prod.tfvars]
                  env: { TF_VAR_token: { from: RUNNER_TOKEN } }
                  extra_args: { plan: ["-parallelism=3", "-refresh=false"], init: ["-upgrade"] }
            """, "envs/prod");
        project.Run.VarFiles.ShouldBe(["../../vars/common.tfvars", "../../envs/prod/prod.tfvars"]);

        var cli = new TerraformCli(new TerraformOptions { RunnerVariable = name => name == "RUNNER_TOKEN" ? "from-the-runner" : null });
        var context = Context(dir.Path, project, dir.Combine("tf.log"));
        (await cli.InitAsync(context, CancellationToken.None)).Ok.ShouldBeTrue(File.ReadAllText(context.LogFile));
        (await cli.PlanAsync(context, dir.Combine("plan.tfplan"), CancellationToken.None)).Outcome.ShouldBe(TerraformOutcome.Changes, File.ReadAllText(context.LogFile));
        (await cli.ShowJsonAsync(context, dir.Combine("plan.tfplan"), dir.Combine("plan.json"), CancellationToken.None)).Ok.ShouldBeTrue();

        Output(dir.Combine("plan.json"), "all").GetString().ShouldBe("large; rm -rf //eu-west-1/literal value/from-the-runner");
        var log = File.ReadAllText(context.LogFile);
        log.ShouldContain("init -input=false -no-color -lock-timeout=60s -upgrade");
        log.ShouldContain("-var-file=../../vars/common.tfvars -var-file=../../envs/prod/prod.tfvars -parallelism=3 -refresh=false");
    }

    [Fact]
    public async Task Backend_config_files_and_key_values_configure_the_backend()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("app"));
        File.WriteAllText(dir.Combine("app", "main.tf"), "terraform {\n  backend \"local\" {}\n}\nresource \"terraform_data\" \"x\" {\n  input = \"a\"\n}\n");
        File.WriteAllText(dir.Combine("app", "prod.backend.hcl"), "path = \"state/prod.tfstate\"\n");
        var project = Discover(dir.Path, """
            projects:
              - dir: app
                terraform:
                  backend_config: [prod.backend.hcl, "workspace_dir=state/ws"]
            """, "app");
        project.Run.BackendConfig.ShouldBe(["../app/prod.backend.hcl", "workspace_dir=state/ws"]);

        var cli = new TerraformCli(new TerraformOptions());
        var context = Context(dir.Path, project, dir.Combine("tf.log"));
        (await cli.InitAsync(context, CancellationToken.None)).Ok.ShouldBeTrue(File.ReadAllText(context.LogFile));
        (await cli.PlanAsync(context, dir.Combine("p.tfplan"), CancellationToken.None)).Ok.ShouldBeTrue(File.ReadAllText(context.LogFile));
        (await cli.ApplyAsync(context, dir.Combine("p.tfplan"), CancellationToken.None)).Ok.ShouldBeTrue(File.ReadAllText(context.LogFile));
        File.Exists(dir.Combine("app", "state", "prod.tfstate")).ShouldBeTrue("the backend config file chose the state path");
        File.Exists(dir.Combine("app", "terraform.tfstate")).ShouldBeFalse();
        File.ReadAllText(dir.Combine("app", ".terraform", "terraform.tfstate")).ShouldContain("state/ws");
    }

    [Fact]
    public async Task A_missing_runner_variable_fails_the_step_naming_it_without_running_terraform()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("main.tf"), "resource \"terraform_data\" \"x\" {}\n");
        var project = Discover(dir.Path, "terraform:\n  env: { GITHUB_TOKEN: { from: GITHUB_TOKEN } }\n", ".");
        var result = await new TerraformCli(new TerraformOptions { RunnerVariable = _ => null })
            .InitAsync(Context(dir.Path, project, dir.Combine("tf.log")), CancellationToken.None);
        result.Outcome.ShouldBe(TerraformOutcome.Failed);
        result.Error.ShouldBe("env GITHUB_TOKEN takes the runner's GITHUB_TOKEN, which is not set; set it on the runner or remove the entry from planbot.yaml");
        File.Exists(dir.Combine("tf.log")).ShouldBeFalse("terraform never started");
    }

    [Fact]
    public async Task A_terragrunt_unit_is_planned_through_terragrunt_which_runs_the_configured_terraform()
    {
        using var dir = new TempDir();
        using var bin = new TempDir("planbot-bin");
        // A stand-in terragrunt: records its calls, then runs the terraform PlanBot names in TG_TF_PATH.
        var script = Path.Combine(bin.Path, "terragrunt");
        File.WriteAllText(script, "#!/bin/sh\necho \"terragrunt $1 tf=$TG_TF_PATH ni=$TG_NON_INTERACTIVE\" >> \"$CALLS\"\nexec \"$TG_TF_PATH\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.CreateDirectory(dir.Combine("live", "vpc"));
        Directory.CreateDirectory(dir.Combine("catalog", "vpc"));
        File.WriteAllText(dir.Combine("live", "vpc", "terragrunt.hcl"), "terraform {\n  source = \"../../catalog/vpc\"\n}\n");
        File.WriteAllText(dir.Combine("live", "vpc", "main.tf"), "resource \"terraform_data\" \"vpc\" {\n  input = \"10.0.0.0/16\"\n}\n");
        var project = Discover(dir.Path, "", "live/vpc");
        project.Run.Terragrunt.ShouldBeTrue();

        var calls = dir.Combine("calls.txt");
        var cli = new TerraformCli(new TerraformOptions
        {
            Binary = "/usr/local/bin/terraform",
            Environment = new Dictionary<string, string?> { ["PATH"] = bin.Path + ":" + Environment.GetEnvironmentVariable("PATH"), ["CALLS"] = calls },
            TerragruntBinary = script,
        });
        var context = Context(dir.Path, project, dir.Combine("tf.log"));
        (await cli.InitAsync(context, CancellationToken.None)).Ok.ShouldBeTrue(File.ReadAllText(context.LogFile));
        (await cli.PlanAsync(context, dir.Combine("p.tfplan"), CancellationToken.None)).Outcome.ShouldBe(TerraformOutcome.Changes);
        (await cli.ShowJsonAsync(context, dir.Combine("p.tfplan"), dir.Combine("p.json"), CancellationToken.None)).Ok.ShouldBeTrue();
        File.ReadAllText(dir.Combine("p.json")).ShouldContain("terraform_data.vpc");
        File.ReadAllLines(calls).ShouldBe([
            "terragrunt init tf=/usr/local/bin/terraform ni=true",
            "terragrunt plan tf=/usr/local/bin/terraform ni=true",
            "terragrunt show tf=/usr/local/bin/terraform ni=true",
        ]);
    }

    [Fact]
    public async Task Without_terragrunt_a_unit_fails_with_an_error_naming_the_missing_binary()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("terragrunt.hcl"), "");
        var project = Discover(dir.Path, "", ".");
        var result = await new TerraformCli(new TerraformOptions { TerragruntBinary = "no-such-terragrunt" })
            .InitAsync(Context(dir.Path, project, dir.Combine("tf.log")), CancellationToken.None);
        result.Outcome.ShouldBe(TerraformOutcome.NotFound);
        result.Error.ShouldStartWith("cannot start 'no-such-terragrunt'");
        result.Error.ShouldContain("is a Terragrunt unit (it has terragrunt.hcl) and is planned through terragrunt; install terragrunt");
    }
}
