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

        ((YamlMappingNode)root["outputs"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order().ShouldBe(["allowed", "apply-levels", "count", "has-changes", "level1", "level2", "level3", "level4", "levels", "matrix", "needs-approval", "report-path"]);
    }

    [Fact]
    public void The_dockerfile_publishes_exactly_as_ci_does_and_checks_the_terraform_download()
    {
        var docker = Read("Dockerfile");
        var publish = Regex.Match(docker, @"(dotnet publish [^\n]*?) -o /out").Groups[1].Value; // after RUN, or after the RID chosen for the target platform
        publish.ShouldStartWith("dotnet publish src/PlanBot.Cli -c Release");
        Read(".ci", "run").ShouldContain(publish + " -o \"$publish\"");
        docker.ShouldContain("sha256sum -c -");
        Regex.IsMatch(docker, "TERRAFORM_SHA256_AMD64=[0-9a-f]{64}").ShouldBeTrue();
        Regex.IsMatch(docker, "TERRAFORM_SHA256_ARM64=[0-9a-f]{64}").ShouldBeTrue("the release builds arm64 too: its terraform is checked like amd64's");
        docker.ShouldNotContain("linux_amd64", Case.Sensitive, "terraform and tofu are downloaded for the platform being built");
        docker.ShouldContain("ENTRYPOINT [\"dotnet\", \"/app/planbot.dll\"]"); // the service
        docker.ShouldContain("unzip /tmp/tofu.zip -d /usr/local/bin tofu"); // terraform-binary: tofu works in the image
        docker.ShouldContain("echo \"${TOFU_EXPECTED}  /tmp/tofu.zip\" | sha256sum -c -");
    }

    /// <summary>The image ships the NativeAOT planbot-render (issue 19), published as RenderBinaryTests expect it and run once before it is copied.</summary>
    [Fact]
    public void The_dockerfile_ships_the_native_render_binary_after_running_it()
    {
        var docker = Read("Dockerfile");
        docker.ShouldContain("dotnet publish src/PlanBot.Render -c Release -r $RID -o /render");
        Read(".ci", "run").ShouldContain("dotnet publish src/PlanBot.Render -c Release -r $RID -o \"$render\"", Case.Sensitive, "CI publishes the binary the image ships, for RenderBinaryTests");
        docker.ShouldContain("/render/planbot-render --help >/dev/null");
        docker.ShouldContain("COPY --from=render-build /render/planbot-render /usr/local/bin/planbot-render");
    }

    /// <summary>
    /// planbot's runtime settings (issue 19): no background GC thread, and thread-pool workers that block
    /// instead of spinning (the spinning took CPU from terraform on a 2-core runner). The NativeAOT
    /// publish bakes in the same RuntimeHostConfigurationOption items the JIT build writes here.
    /// </summary>
    [Fact]
    public void Planbot_runs_without_a_spinning_thread_pool_or_a_background_gc()
    {
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "planbot.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").ToString().ShouldBe("0");
        properties.GetProperty("System.GC.Concurrent").GetBoolean().ShouldBeFalse();
    }

    /// <summary>The Action's entry point is the NativeAOT planbot (issue 19), published as CI publishes it for PlanBot.Published.Tests and run once before it is copied.</summary>
    [Fact]
    public void The_action_image_runs_the_native_planbot_published_as_ci_tests_it()
    {
        var docker = Read("Dockerfile");
        const string Publish = "dotnet publish src/PlanBot.Cli -c Release -r $RID -p:PublishAot=true -o";
        docker.ShouldContain(Publish + " /aot");
        docker.ShouldContain("/aot/planbot projects --repo examples/monorepo >/dev/null");
        Read(".ci", "run").ShouldContain(Publish + " \"$aot\"", Case.Sensitive, "CI publishes the binary the image runs, for PlanBot.Published.Tests");
        var action = docker[docker.IndexOf("AS action\n", StringComparison.Ordinal)..];
        action.ShouldContain("COPY --from=action-build /aot/planbot /app/planbot", Case.Sensitive, "beside /app/examples, which `planbot demo` looks for beside the binary");
        action.ShouldContain("ENTRYPOINT [\"/app/planbot\"]");
    }

    [Fact]
    public void The_example_workflows_cover_plan_commands_apply_and_drift_and_fetch_full_history_to_plan()
    {
        var workflows = Directory.EnumerateFiles(Path.Combine(Fixtures.RepoRoot, "action"), "*.yml").Select(Path.GetFileName).Order().ToArray();
        workflows.ShouldBe(["apply-fanout.yml", "apply.yml", "commands.yml", "drift.yml", "plan-fanout.yml", "plan.yml"]);
        Read("action", "plan.yml").ShouldContain("fetch-depth: 0");
        foreach (var planning in (string[])["plan.yml", "plan-fanout.yml"])
        {
            // the PR's head is checked out, so it is planned in place (not in a worktree of its own) and read ahead (issue 19)
            Read("action", planning).Split("actions/checkout@").Skip(1).ShouldAllBe(step => step.Contains("ref: ${{ github.event.pull_request.head.sha }}", StringComparison.Ordinal), planning);
        }

        Read("action", "plan.yml").ShouldContain("statuses: write");
        Read("action", "commands.yml").ShouldContain("issue_comment");
    }

    private static YamlMappingNode Workflow(string name)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Read("action", name)));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode? Map(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlMappingNode : null;

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? (child as YamlScalarNode)?.Value : null;

    private static IEnumerable<(string Name, YamlMappingNode Job)> Jobs(YamlMappingNode workflow) =>
        Map(workflow, "jobs")!.Children.Select(kv => (((YamlScalarNode)kv.Key).Value!, (YamlMappingNode)kv.Value));

    private static IEnumerable<YamlMappingNode> Steps(YamlMappingNode job) =>
        ((YamlSequenceNode)job[new YamlScalarNode("steps")]).Children.Cast<YamlMappingNode>();

    [Fact]
    public void The_comment_workflow_checks_out_the_pull_request_only_after_planbot_allowed_the_command()
    {
        var workflow = Workflow("commands.yml");
        var jobs = Jobs(workflow).ToDictionary(j => j.Name, j => j.Job);
        jobs.Keys.ShouldBe(["decide", "command", "apply-merged"], ignoreOrder: true);

        var decide = jobs["decide"];
        foreach (var step in Steps(decide))
        {
            (Map(step, "with") is { } w ? Scalar(w, "ref") : null).ShouldBeNull("the decide job checks out the default branch only");
        }

        var gate = Steps(decide).Single(s => Scalar(s, "uses") == "acme/planbot@v1");
        Scalar(Map(gate, "with")!, "decide-only").ShouldBe("true");
        Scalar(Map(decide, "outputs")!, "allowed").ShouldBe("${{ steps." + Scalar(gate, "id") + ".outputs.allowed }}");
        Map(decide, "permissions")!.Children.Values.Cast<YamlScalarNode>().Count(v => v.Value == "write").ShouldBe(1); // issues: the refusal reply

        var command = jobs["command"];
        Scalar(command, "needs").ShouldBe("decide");
        Scalar(command, "if").ShouldBe("needs.decide.outputs.allowed == 'true' && !github.event.issue.pull_request.merged_at");
        Steps(command).Any(s => Map(s, "with") is { } w && Scalar(w, "ref")?.Contains("github.event.issue.number", StringComparison.Ordinal) == true).ShouldBeTrue();

        // a merged PR's command may apply: the default branch's checkout, in the push apply's concurrency group
        var merged = jobs["apply-merged"];
        Scalar(merged, "needs").ShouldBe("decide");
        Scalar(merged, "if").ShouldBe("needs.decide.outputs.allowed == 'true' && github.event.issue.pull_request.merged_at");
        foreach (var step in Steps(merged))
        {
            (Map(step, "with") is { } w ? Scalar(w, "ref") : null).ShouldBeNull("a merged PR's apply runs in the default branch's checkout, never the PR head's");
        }
    }

    [Fact]
    public void A_merged_pull_requests_apply_shares_the_concurrency_group_of_the_merge_apply()
    {
        var applyGroup = Map(Workflow("apply.yml"), "concurrency")!;
        var mergedGroup = Map(Jobs(Workflow("commands.yml")).Single(j => j.Name == "apply-merged").Job, "concurrency").ShouldNotBeNull();

        // apply.yml runs on a push to the default branch, where github.ref is refs/heads/<default branch>
        Scalar(applyGroup, "group").ShouldBe("planbot-apply-${{ github.ref }}");
        Scalar(mergedGroup, "group").ShouldBe("planbot-apply-refs/heads/${{ github.event.repository.default_branch }}");
        Scalar(mergedGroup, "cancel-in-progress").ShouldBe("false");
        Jobs(Workflow("commands.yml")).Where(j => j.Name != "apply-merged").ShouldAllBe(j => Map(j.Job, "concurrency") == null, "other commands are never grouped: a queued approval would be cancelled");
    }

    [Theory]
    [InlineData("plan.yml")]
    [InlineData("commands.yml")]
    [InlineData("apply.yml")]
    [InlineData("drift.yml")]
    [InlineData("plan-fanout.yml")]
    [InlineData("apply-fanout.yml")]
    public void Every_workflow_has_minimal_explicit_permissions_and_never_cancels_a_queued_approval_or_apply(string name)
    {
        var workflow = Workflow(name);
        var text = Read("action", name);
        Map(workflow, "on")!.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ShouldNotContain("pull_request_target"); // it would run a fork's code with secrets
        text.ShouldNotContain("cancel-in-progress: true");
        text.ShouldNotContain("write-all");
        foreach (var (jobName, job) in Jobs(workflow))
        {
            var permissions = Map(job, "permissions") ?? Map(workflow, "permissions");
            permissions.ShouldNotBeNull($"{name} {jobName}: no permissions, so the token gets the repository default");
            var granted = permissions.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);
            granted.Keys.ShouldAllBe(k => new[] { "contents", "pull-requests", "issues", "statuses", "checks", "id-token" }.Contains(k), $"{name} {jobName}");
            granted.GetValueOrDefault("contents").ShouldBe("read", $"{name} {jobName}: PlanBot never pushes");
            foreach (var step in Steps(job).Where(s => Scalar(s, "uses")?.StartsWith("actions/checkout@", StringComparison.Ordinal) == true))
            {
                Scalar(Map(step, "with")!, "persist-credentials").ShouldBe("false", $"{name} {jobName}: the checkout must not leave the token in .git/config");
            }

            if (Steps(job).Any(s => Scalar(s, "uses") == "acme/planbot@v1" && Map(s, "with") is { } w && Scalar(w, "phase") == "plan"))
            {
                // a fan-out's plan jobs post nothing: the gather alone writes the gate and the check runs
                granted.Keys.ShouldNotContain("statuses", $"{name} {jobName}");
                granted.Keys.ShouldNotContain("checks", $"{name} {jobName}");
            }
            else if (Steps(job).Any(s => Scalar(s, "uses") == "acme/planbot@v1" && (Map(s, "with") is not { } w || Scalar(w, "decide-only") != "true")) && name != "drift.yml")
            {
                granted.GetValueOrDefault("statuses").ShouldBe("write", $"{name} {jobName}: the apply gate");
                granted.GetValueOrDefault("id-token").ShouldBe("write", $"{name} {jobName}: OIDC is what the examples suggest for terraform's credentials");
            }
        }

        // GitHub keeps one pending run per group and cancels the older one: never for commands (a queued approval
        // would be lost); applies run in one group that never cancels a run in progress (a cancelled pending apply is caught up by the next)
        if (name is "commands.yml")
        {
            // only the job of a merged PR's apply is grouped, with the merge applies (its own test, above)
            Map(workflow, "concurrency").ShouldBeNull();
            Jobs(workflow).Where(j => Map(j.Job, "concurrency") is not null).Select(j => j.Name).ShouldBe(["apply-merged"], $"{name}: a concurrency group would cancel a queued approval");
        }

        if (name is "apply.yml" or "apply-fanout.yml")
        {
            var group = Map(workflow, "concurrency").ShouldNotBeNull($"{name}: applies run one at a time, in merge order");
            Scalar(group, "cancel-in-progress").ShouldBe("false", $"{name}: an apply stopped mid-way leaves state to check");
            Scalar(group, "group").ShouldBe("planbot-apply-${{ github.ref }}", $"{name}: the single-job and the fanned-out apply share one group, so two merges never apply at once");
        }
    }

    [Fact]
    public void Deployment_docs_require_the_apply_gate_and_protect_planbot_yaml_with_codeowners()
    {
        var docs = Read("docs", "deployment.md");
        docs.ShouldContain("require the status check `planbot/apply-gate`");
        docs.ShouldContain("CODEOWNERS");
        docs.ShouldContain("/planbot.yaml");
        Read("docs", "security.md").ShouldContain("/proc/self/environ");
    }

    [Fact]
    public void The_action_runs_the_released_multi_arch_image_and_the_release_builds_it_from_pinned_bases_with_an_sbom()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Read("action.yml")));
        var image = ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["runs"])["image"]).Value!;
        var version = Regex.Match(image, @"^docker://ghcr\.io/[a-z0-9-]+/planbot:(\d+\.\d+\.\d+)$");
        version.Success.ShouldBeTrue($"action.yml runs {image}: a prebuilt, versioned image, never a build on the runner");

        var release = Read(".github", "workflows", "release.yml");
        release.ShouldContain("platforms: linux/amd64,linux/arm64");
        release.ShouldContain("sbom: true");
        release.ShouldContain("target: action");
        release.ShouldContain("target: service");
        release.ShouldContain("@sha256:[0-9a-f]{64}", Case.Sensitive, "the release refuses base images not pinned by digest");
        release.ShouldContain(".ci/run", Case.Sensitive, "the release builds and smoke-tests the same publish output as CI");
        release.ShouldContain(" demo");

        var docker = Read("Dockerfile");
        Regex.Matches(docker, @"^FROM (\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ShouldBe(["${SDK_IMAGE}", "${SDK_IMAGE}", "${SDK_IMAGE}", "${RUNTIME_IMAGE}", "runtime", "runtime"]); // build, render-build (planbot-render), action-build (planbot, NativeAOT), runtime
        docker.ShouldContain("COPY examples /app/examples", Case.Sensitive, "`planbot demo` needs the example monorepo inside the image");
        var service = docker[docker.IndexOf("AS service", StringComparison.Ordinal)..docker.IndexOf("AS action\n", StringComparison.Ordinal)];
        service.ShouldContain("USER $APP_UID");
        service.ShouldContain("EXPOSE 8080");
        service.ShouldContain("HEALTHCHECK");
        service.ShouldContain("/readyz");
        docker[docker.IndexOf("AS action\n", StringComparison.Ordinal)..].ShouldNotContain("USER", Case.Sensitive, "GitHub runs container actions as root");

        var ignored = Read(".dockerignore").Split('\n', StringSplitOptions.TrimEntries);
        ignored.ShouldContain(".git");
        ignored.ShouldContain("**/bin");
        ignored.ShouldContain("**/obj");
        ignored.ShouldContain(".ci", "the test servers' node_modules are hundreds of MB");
        ignored.ShouldNotContain("examples");
    }

    [Fact]
    public void The_replica_manifests_run_non_root_with_readiness_on_the_queue()
    {
        var kubernetes = Read("deploy", "kubernetes", "planbot.yaml");
        kubernetes.ShouldContain("runAsNonRoot: true");
        kubernetes.ShouldContain("path: /readyz");
        kubernetes.ShouldContain("path: /healthz");
        kubernetes.ShouldContain("PLANBOT_QUEUE_BACKEND, value: azure");
        kubernetes.ShouldContain("PLANBOT_LEASE_TABLE");
        Regex.IsMatch(kubernetes, @"replicas: [2-9]").ShouldBeTrue();
        Read("deploy", "compose.yaml").ShouldContain("/readyz");
        Read("docs", "deployment.md").ShouldContain("### N replicas");
    }
}
