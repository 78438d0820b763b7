using System.Diagnostics;
using PlanBot.Hosting;
using PlanBot.Render;
using PlanBot.Testing;

namespace PlanBot.Cli.Tests;

/// <summary>
/// `planbot-render` (src/PlanBot.Render, the NativeAOT render binary of issue 19) writes exactly the
/// comment `planbot render` writes with default settings: compared in this process on real plans, and
/// the published native binary too when it has been built (<see cref="RenderBinary.Path"/>).
/// </summary>
public class RenderBinaryTests
{
    public static TheoryData<string> Plans() => new()
    {
        "opentofu/show-json__basic-create.json",
        "jond3k-tfplan-validator/update.json",
        "ovsds-tf-plan-format/sensitive.json",
        "hashicorp-terraform-json/120_basic.json",
        "dineshba-tf-summarize/example.json",
        "opentofu/show-json-sensitive.json",
    };

    [FixtureTheory]
    [MemberData(nameof(Plans))]
    public async Task The_render_app_writes_what_planbot_render_writes(string plan)
    {
        var path = Fixtures.Path("plans", plan);
        var expected = await PlanbotRender(path);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        (await RenderApp.RunAsync(["--plan-json", path, "--project", "net"], stdout, stderr)).ShouldBe(0, stderr.ToString());
        stdout.ToString().ShouldBe(expected);
        stdout.ToString().ShouldContain("net");
    }

    [Fact]
    public async Task Bad_arguments_and_bad_plans_exit_2_with_one_line_saying_what()
    {
        using var dir = new TempDir();
        var bad = dir.Combine("bad.json");
        await File.WriteAllTextAsync(bad, "{\"format_version\": ");
        var empty = dir.Combine("empty.json"); // a file of no bytes is not mapped (MappedPlanFile) but read, and is not JSON
        await File.WriteAllBytesAsync(empty, []);
        foreach (var (args, says) in new[]
                 {
                     (new[] { "--plan-json" }, "'--plan-json'"),
                     (new[] { "--repo", "." }, "'--repo'"),
                     (Array.Empty<string>(), "--plan-json is required"),
                     (new[] { "--plan-json", bad }, "bad.json"),
                     (new[] { "--plan-json", dir.Combine("missing.json") }, "cannot read the plan file"),
                     (new[] { "--plan-json", empty }, "empty.json:1: not a valid terraform plan JSON document"),
                     (new[] { "--plan-json", dir.Path }, "cannot read the plan file"), // a directory
                 })
        {
            var stderr = new StringWriter();
            (await RenderApp.RunAsync(args, new StringWriter(), stderr)).ShouldBe(2, string.Join(' ', args));
            stderr.ToString().ShouldStartWith("planbot-render: ");
            stderr.ToString().ShouldContain(says);
        }
    }

    /// <summary>The published NativeAOT binary (.ci/run publishes it; see docs/performance.md) on real plans: byte for byte `planbot render`'s comment.</summary>
    [RenderBinaryTheory]
    [MemberData(nameof(Plans))]
    public async Task The_published_native_binary_writes_what_planbot_render_writes(string plan)
    {
        var path = Fixtures.Path("plans", plan);
        var info = new ProcessStartInfo(RenderBinary.Path!) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--plan-json");
        info.ArgumentList.Add(path);
        info.ArgumentList.Add("--project");
        info.ArgumentList.Add("net");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, await stderr);
        (await stdout).ShouldBe(await PlanbotRender(path));
    }

    /// <summary>planbot-render is linked like the Action's planbot: at a fixed address, not dehydrated, hardened (docs/security.md).</summary>
    [RenderBinaryTheory]
    [InlineData("planbot-render")]
    public void The_published_native_binary_is_linked_at_a_fixed_address_and_keeps_its_hardening(string binary)
    {
        var elf = ElfImage.Read(RenderBinary.Path!);
        Path.GetFileName(RenderBinary.Path).ShouldBe(binary);
        elf.PositionIndependent.ShouldBeFalse();
        elf.Sections.ShouldNotContain(".hydrated");
        (elf.RelRo, elf.BindNow, elf.ExecutableStack).ShouldBe((true, true, false));
    }

    private static async Task<string> PlanbotRender(string path)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        (await CliApp.RunAsync(["render", "--plan-json", path, "--project", "net"], stdout, stderr, PlanBotSettings.From(_ => null))).ShouldBe(0, stderr.ToString());
        return stdout.ToString();
    }
}

/// <summary>Where .ci/run publishes planbot-render (artifacts/planbot-render); null when it has not been published.</summary>
public static class RenderBinary
{
    public static string? Path { get; } = System.IO.Path.Combine(Fixtures.RepoRoot, "artifacts", "planbot-render", "planbot-render") is var path && File.Exists(path) ? path : null;
}

/// <summary>A theory over the published native binary; skipped, saying how to build it, when it is not there.</summary>
public sealed class RenderBinaryTheoryAttribute : TheoryAttribute
{
    public RenderBinaryTheoryAttribute()
    {
        if (Fixtures.Root is null)
        {
            Skip = "../shared/fixtures is absent (set PLANBOT_FIXTURES to point at it)";
        }
        else if (RenderBinary.Path is null)
        {
            Skip = "planbot-render is not published: dotnet publish src/PlanBot.Render -c Release -r linux-x64 -o artifacts/planbot-render (.ci/run does)";
        }
    }
}
