using System.IO.Compression;
using System.Security.Cryptography;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;
using PlanBot.Terraform.Files;
using PlanBot.Terraform.Versions;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Terraform.Tests;

/// <summary>terraform/tofu versions per project, installed from a file:// mirror and verified against SHA256SUMS (issue 17 item 3).</summary>
public class VersionInstallerTests
{
    /// <summary>A mirror laid out like releases.hashicorp.com, built now: each version's zip holds <paramref name="binary"/> as the product.</summary>
    private static string Mirror(TempDir dir, string product, string binary, params string[] versions)
    {
        foreach (var version in versions)
        {
            var release = dir.Combine("mirror", product, version);
            Directory.CreateDirectory(release);
            var zipName = $"{product}_{version}_{VersionInstaller.Platform}.zip";
            using (var archive = ZipFile.Open(Path.Combine(release, zipName), ZipArchiveMode.Create))
            {
                archive.CreateEntryFromFile(binary, product, CompressionLevel.NoCompression);
                archive.CreateEntry("../../escape").Open().Dispose(); // never written: only the product's entry is taken
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(release, zipName))));
            File.WriteAllText(Path.Combine(release, $"{product}_{version}_SHA256SUMS"), $"{new string('0', 64)}  {product}_{version}_other_arch.zip\n{hash}  {zipName}\n");
        }

        return new Uri(dir.Combine("mirror")).AbsoluteUri;
    }

    private static string StandIn(TempDir dir, string text)
    {
        var path = dir.Combine("stand-in");
        File.WriteAllText(path, "#!/bin/sh\necho \"" + text + "\"\n");
        return path;
    }

    [Fact]
    public async Task Projects_run_the_version_they_ask_for_installed_once_from_the_mirror()
    {
        using var dir = new TempDir();
        // the local terraform is 1.11.4: under its own name (a required_version pin must hold) and under another
        var mirror = Mirror(dir, "terraform", "/usr/local/bin/terraform", "9.9.8", "1.11.4");
        Directory.CreateDirectory(dir.Combine("repo", "pinned"));
        Directory.CreateDirectory(dir.Combine("repo", "file"));
        File.WriteAllText(dir.Combine("repo", "pinned", "main.tf"), "terraform {\n  required_version = \"= 1.11.4\"\n}\n" + Resource("a", "one"));
        File.WriteAllText(dir.Combine("repo", "file", "main.tf"), Resource("b", "two"));
        File.WriteAllText(dir.Combine("repo", "file", ".terraform-version"), "9.9.8\n");
        var projects = ProjectDiscovery.Discover(new DiskFileTree(dir.Combine("repo")), PlanBotConfig.Default).Projects;
        projects.Select(p => (p.Name, p.Run.Version)).ShouldBe([("file", "9.9.8"), ("pinned", "1.11.4")]);

        var versions = dir.Combine("versions");
        var cli = new TerraformCli(new TerraformOptions { VersionsDir = versions, Mirror = mirror });
        var results = await Task.WhenAll(projects.Select(async p =>
        {
            var context = new TerraformContext { WorkingDir = dir.Combine("repo", p.Dir), LogFile = dir.Combine(p.Name + ".log"), Run = p.Run };
            var init = await cli.InitAsync(context, CancellationToken.None);
            var plan = init.Ok ? await cli.PlanAsync(context, dir.Combine(p.Name + ".tfplan"), CancellationToken.None) : init;
            return (p.Name, plan, Log: File.Exists(context.LogFile) ? await File.ReadAllTextAsync(context.LogFile) : init.Error ?? "");
        }));

        foreach (var (name, plan, log) in results)
        {
            plan.Outcome.ShouldBe(TerraformOutcome.Changes, log);
            log.ShouldContain($"$ {Path.Combine(versions, "terraform", name == "file" ? "9.9.8" : "1.11.4", "terraform")} init");
        }

        Directory.GetDirectories(Path.Combine(versions, "terraform")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ShouldBe(["1.11.4", "9.9.8"]); // no staging dir left
        Directory.GetFiles(Path.Combine(versions, "terraform", "1.11.4")).Select(Path.GetFileName).ShouldBe(["terraform"]);
        File.Exists(dir.Combine("escape")).ShouldBeFalse();
        File.Exists(Path.Combine(versions, "escape")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_zip_that_does_not_match_its_SHA256SUMS_is_refused_and_never_run()
    {
        using var dir = new TempDir();
        var mirror = Mirror(dir, "terraform", StandIn(dir, "the real release"), "1.2.3");
        var zip = dir.Combine("mirror", "terraform", "1.2.3", $"terraform_1.2.3_{VersionInstaller.Platform}.zip");
        var marker = dir.Combine("tampered-ran");
        File.Delete(zip);
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            var script = dir.Combine("evil");
            File.WriteAllText(script, $"#!/bin/sh\ntouch {marker}\n");
            archive.CreateEntryFromFile(script, "terraform");
        }

        var versions = dir.Combine("versions");
        var installed = await new VersionInstaller(versions).EnsureAsync("terraform", "1.2.3", mirror, CancellationToken.None);
        installed.Path.ShouldBeNull();
        installed.Error.ShouldStartWith($"refused terraform 1.2.3: terraform_1.2.3_{VersionInstaller.Platform}.zip from {mirror}/terraform/1.2.3 has SHA-256 ");
        installed.Error.ShouldContain("the file is not the release, so it was deleted and not run");
        Directory.Exists(Path.Combine(versions, "terraform", "1.2.3")).ShouldBeFalse();
        Directory.GetDirectories(Path.Combine(versions, "terraform")).ShouldBeEmpty();

        Directory.CreateDirectory(dir.Combine("app"));
        var result = await new TerraformCli(new TerraformOptions { VersionsDir = versions, Mirror = mirror })
            .InitAsync(new TerraformContext { WorkingDir = dir.Combine("app"), LogFile = dir.Combine("tf.log"), Run = new TerraformRun { Version = "1.2.3" } }, CancellationToken.None);
        result.Outcome.ShouldBe(TerraformOutcome.NotFound);
        result.Error.ShouldStartWith("refused terraform 1.2.3");
        File.Exists(marker).ShouldBeFalse();
    }

    [Fact]
    public async Task Parallel_projects_asking_for_one_version_share_one_verified_install()
    {
        using var dir = new TempDir();
        var mirror = Mirror(dir, "tofu", StandIn(dir, "OpenTofu v1.8.0"), "1.8.0");
        var versions = dir.Combine("versions");
        var installs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new VersionInstaller(versions).EnsureAsync("tofu", "1.8.0", mirror, CancellationToken.None))));

        installs.Select(i => i.Error).ShouldAllBe(e => e == null);
        installs.Select(i => i.Path).Distinct().ShouldBe([Path.Combine(versions, "tofu", "1.8.0", "tofu")]);
        Directory.GetDirectories(Path.Combine(versions, "tofu")).Select(Path.GetFileName).ShouldBe(["1.8.0"]);
        (await Processes.ChildProcess.RunAsync(new Processes.ProcessSpec { FileName = installs[0].Path!, WorkingDirectory = dir.Path }, CancellationToken.None)).StdoutTail.ShouldBe("OpenTofu v1.8.0\n");
    }

    [Fact]
    public async Task A_mirror_without_the_file_or_the_binary_gives_an_error_naming_what_is_missing()
    {
        using var dir = new TempDir();
        var mirror = Mirror(dir, "terraform", StandIn(dir, "x"), "1.0.0");
        var installer = new VersionInstaller(dir.Combine("versions"));

        (await installer.EnsureAsync("terraform", "1.0.1", mirror, CancellationToken.None)).Error.ShouldStartWith($"cannot install terraform 1.0.1: reading {mirror}/terraform/1.0.1/terraform_1.0.1_SHA256SUMS failed");
        File.WriteAllText(dir.Combine("mirror", "terraform", "1.0.0", "terraform_1.0.0_SHA256SUMS"), "not a sums file\n");
        (await installer.EnsureAsync("terraform", "1.0.0", mirror, CancellationToken.None)).Error.ShouldBe(
            $"cannot install terraform 1.0.0: terraform_1.0.0_SHA256SUMS at {mirror}/terraform/1.0.0 lists no terraform_1.0.0_{VersionInstaller.Platform}.zip; the mirror has no build for {VersionInstaller.Platform}");
        (await installer.EnsureAsync("terraform", "../../etc", mirror, CancellationToken.None)).Error.ShouldBe("cannot install terraform '../../etc': give terraform or tofu and an exact version like 1.9.8");
        VersionInstaller.ReleaseUrl(null, "terraform", "1.9.8").ShouldBe("https://releases.hashicorp.com/terraform/1.9.8");
        VersionInstaller.ReleaseUrl(null, "tofu", "1.8.0").ShouldBe("https://github.com/opentofu/opentofu/releases/download/v1.8.0");
    }

    [Fact]
    public async Task Tofu_missing_from_the_runner_is_a_clear_error_naming_the_ways_to_get_it()
    {
        using var dir = new TempDir();
        var result = await new TerraformCli(new TerraformOptions { Binary = "tofu", Environment = new Dictionary<string, string?> { ["PATH"] = dir.Path } })
            .InitAsync(new TerraformContext { WorkingDir = dir.Path, LogFile = dir.Combine("tf.log") }, CancellationToken.None);
        result.Outcome.ShouldBe(TerraformOutcome.NotFound);
        result.Error.ShouldBe("cannot start 'tofu': not found on PATH: OpenTofu is not installed on this runner; install it (opentofu/setup-opentofu), use the PlanBot image (it bundles tofu), set terraform.version so PlanBot installs it from the mirror, or set terraform.binary (the Action's terraform-binary) back to terraform");
    }
}
