using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Terraform.Tests;

/// <summary>
/// Parallel inits on one shared TF_PLUGIN_CACHE_DIR (issue 17 item 6, hashicorp/terraform#31964):
/// terraform writes the cache without a lock, so inits installing one provider at once can fail
/// ("failed to create directory", "after installing … checksum"); PlanBot makes them take turns.
/// </summary>
public class PluginCacheTests
{
    [Fact]
    public async Task Parallel_inits_installing_one_provider_into_a_shared_cache_all_succeed()
    {
        using var dir = new TempDir();
        // A provider terraform installs from a filesystem mirror (init copies it into the cache, never runs it).
        var package = dir.Combine("mirror", "registry.terraform.io", "example", "fake", "1.0.0", VersionsPlatform());
        Directory.CreateDirectory(package);
        var bytes = new byte[8 * 1024 * 1024];
        new Random(17).NextBytes(bytes);
        await File.WriteAllBytesAsync(Path.Combine(package, "terraform-provider-fake_v1.0.0"), bytes);
        var cliConfig = dir.Combine("cli.tfrc");
        await File.WriteAllTextAsync(cliConfig, $"provider_installation {{\n  filesystem_mirror {{\n    path = \"{dir.Combine("mirror")}\"\n  }}\n}}\n");

        var projects = Enumerable.Range(1, 10).Select(i => dir.Combine($"p{i}")).ToArray();
        foreach (var project in projects)
        {
            Directory.CreateDirectory(project);
            await File.WriteAllTextAsync(Path.Combine(project, "main.tf"), "terraform {\n  required_providers {\n    fake = { source = \"example/fake\", version = \"1.0.0\" }\n  }\n}\n");
        }

        var cache = dir.Combine("cache");
        var cli = new TerraformCli(new TerraformOptions { PluginCacheDir = cache, Environment = new Dictionary<string, string?> { ["TF_CLI_CONFIG_FILE"] = cliConfig } });
        var results = await Task.WhenAll(projects.Select(p => Task.Run(() => cli.InitAsync(new TerraformContext { WorkingDir = p, LogFile = p + ".log" }, CancellationToken.None))));

        for (var i = 0; i < projects.Length; i++)
        {
            results[i].Ok.ShouldBeTrue(File.ReadAllText(projects[i] + ".log"));
        }

        Directory.GetFiles(Path.Combine(cache, "registry.terraform.io", "example", "fake", "1.0.0", VersionsPlatform())).Length.ShouldBe(1);
    }

    [Fact]
    public async Task Inits_on_a_shared_cache_never_overlap_and_without_a_cache_they_run_in_parallel()
    {
        using var dir = new TempDir();
        // A stand-in terraform that fails when another init is inside the same window (mkdir is atomic).
        var script = dir.Combine("terraform");
        await File.WriteAllTextAsync(script, "#!/bin/sh\n[ \"$1\" = init ] || exit 0\nmkdir \"$PROBE/inside\" 2>/dev/null || { echo \"overlapping init\" >&2; exit 1; }\necho $$ >> \"$PROBE/order\"\nsleep \"$HOLD\"\nrmdir \"$PROBE/inside\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.CreateDirectory(dir.Combine("probe"));
        var environment = new Dictionary<string, string?> { ["PROBE"] = dir.Combine("probe"), ["HOLD"] = "0.2" };
        var shared = new TerraformCli(new TerraformOptions { Binary = script, PluginCacheDir = dir.Combine("cache"), Environment = environment });
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => shared.InitAsync(new TerraformContext { WorkingDir = dir.Path, LogFile = dir.Combine($"{i}.log") }, CancellationToken.None))));
        results.ShouldAllBe(r => r.Ok);
        File.ReadAllLines(dir.Combine("probe", "order")).Length.ShouldBe(6);

        // the control: with no shared cache nothing serializes inits, and the probe sees them overlap
        // (each holds its window for 3 s, so the six start inside one window even on a loaded machine)
        var unshared = new TerraformCli(new TerraformOptions { Binary = script, Environment = new Dictionary<string, string?>(environment) { ["HOLD"] = "3" } });
        using var barrier = new Barrier(6);
        var parallel = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
        {
            barrier.SignalAndWait();
            return unshared.InitAsync(new TerraformContext { WorkingDir = dir.Path, LogFile = dir.Combine($"u{i}.log") }, CancellationToken.None);
        })));
        parallel.ShouldContain(r => r.Outcome == TerraformOutcome.Failed);
    }

    private static string VersionsPlatform() => Versions.VersionInstaller.Platform;
}
