using PlanBot.Core.Config;

namespace PlanBot.Core.Tests.Config;

/// <summary>
/// The list of policy keys (<see cref="PolicyKeys.All"/>: what <c>planbot projects</c> prints and the
/// server policy enforces) in step with what a file can write and with what a PR is told it changes.
/// </summary>
public class PolicyKeysTests
{
    /// <summary>Every policy key written once, each with a value other than its default.</summary>
    private const string EveryKey = """
        approval:
          destructive: false
          foundational_paths: ["prod/**"]
          foundational_types: ["aws_iam_*"]
          approvers: { users: [carol], teams: [acme/ops], min_permission: admin }
          allow_self_approval: true
          required: 2
        apply: { mode: comment }
        commands: { plan: { min_permission: maintain }, unlock: { min_permission: maintain }, apply: { min_permission: admin } }
        locks: { backend: dynamodb, dynamodb: { table: t } }
        plans: { store: s3, s3: { bucket: b } }
        pull_requests: { plan_drafts: true, plan_forks: true }
        comments: { mask: ["x"] }
        terraform:
          binary: tofu
          timeout: 5m
          lock_timeout: 5s
          env: { A: "1" }
          extra_args: { plan: ["-refresh=false"] }
          version: 1.9.8
          mirror: "https://mirror.example.com"
        workflows:
          default: { plan: [init, { run: [tflint] }, plan] }
        """;

    [Fact]
    public void Every_listed_key_is_one_a_file_can_write_and_each_differs_from_its_default()
    {
        var config = ConfigLoader.Parse("planbot.yaml", EveryKey);
        config.Written.Order(StringComparer.Ordinal).ShouldBe(PolicyKeys.All.Select(k => k.Key).Order(StringComparer.Ordinal));
        foreach (var (key, value) in PolicyKeys.All)
        {
            value(config).ShouldNotBe(value(PlanBotConfig.Default), key);
        }

        PolicyKeys.All.Select(k => k.Key).ShouldContain("terraform.version");
        PolicyKeys.All.Select(k => k.Key).ShouldContain("terraform.mirror");
        PolicyKeys.All.Select(k => k.Key).ShouldContain("workflows");
    }

    [Fact]
    public void A_pr_writing_any_policy_key_is_told_it_changes_policy_and_keeps_the_trusted_value()
    {
        var head = ConfigLoader.Parse("planbot.yaml", EveryKey);
        var merged = TrustedPolicy.Merge(PlanBotConfig.Default, head);
        merged.PolicyChanges.ShouldBe(["approval", "apply", "commands", "locks", "plans", "pull_requests", "comments.mask", "terraform", "workflows"]);
        foreach (var (key, value) in PolicyKeys.All)
        {
            value(merged).ShouldBe(value(PlanBotConfig.Default), key);
        }

        foreach (var (yaml, change) in ((string, string)[])[("terraform: { version: 1.9.8 }", "terraform"), ("terraform: { mirror: \"https://m.example\" }", "terraform"), ("workflows:\n  default: { plan: [init, plan] }", "workflows")])
        {
            TrustedPolicy.Merge(PlanBotConfig.Default, ConfigLoader.Parse("planbot.yaml", yaml)).PolicyChanges.ShouldBe([change], yaml);
        }
    }
}
