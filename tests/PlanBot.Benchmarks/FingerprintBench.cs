using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Benchmarks;

/// <summary>
/// The figures of issue 16: what the content fingerprint costs on the 10,000-resource plan (against
/// parsing the plan), and how many bytes the plan store keeps per plan for the 1,000-resource plan
/// (its JSON, and terraform's own plan file of 1,000 terraform_data resources): raw, compressed, encrypted.
/// </summary>
public static class FingerprintBench
{
    private static readonly FingerprintSalt Salt = FingerprintSalt.For("acme/infra", RandomNumberGenerator.GetBytes(32));

    public static async Task<int> RunAsync()
    {
        var json = Encoding.UTF8.GetBytes(PlanGenerator.Plan(10_000));
        await PlanReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(PlanGenerator.Plan(10))), "warm-up", Salt);
        JsonSerializer.Deserialize<AddressesOnly>(Encoding.UTF8.GetBytes(PlanGenerator.Plan(10)));

        // what the reader did before issue 16: the same streaming parse, values skipped
        var skipped = Best(() => JsonSerializer.Deserialize<AddressesOnly>(json)!.Changes!.Count);
        var read = Best(() => PlanReader.ReadAsync(new MemoryStream(json), "plan.json", Salt).GetAwaiter().GetResult().Changes.Count);
        using var document = JsonDocument.Parse(json);
        var changes = document.RootElement.GetProperty("resource_changes");
        var digest = Best(() =>
        {
            var n = 0;
            foreach (var change in changes.EnumerateArray())
            {
                n += ChangeValues.Digest(change.GetProperty("change")).Seal(Salt).Length;
            }

            return n;
        });

        Console.WriteLine($"fingerprint: 10,000-resource plan ({json.Length / 1048576.0:N1} MB JSON): parse with values skipped {skipped:N0} ms, " +
                          $"read with the content fingerprint {read:N0} ms (+{read - skipped:N0} ms, {(read - skipped) / skipped:P0}); the values' digests alone on a parsed document {digest:N0} ms  [best of 5]");

        var plan1k = new StoredPlan(Encoding.UTF8.GetBytes(PlanGenerator.Plan(1_000)), Summary(PlanGenerator.Plan(1_000)));
        Report("plan store, 1,000-resource plan JSON", plan1k);
        if (await TerraformPlanFileAsync(1_000) is { } planFile)
        {
            Report("plan store, terraform plan file of 1,000 terraform_data", new StoredPlan(planFile, plan1k.SummaryJson));
        }

        return 0;
    }

    private static void Report(string what, StoredPlan plan)
    {
        var key = new PlanKey("acme/infra", 42, "0123abcd", "envs/prod/network");
        var raw = plan.PlanFile.Length + Encoding.UTF8.GetByteCount(plan.SummaryJson);
        var watch = Stopwatch.StartNew();
        var compressed = PlanEnvelope.Seal(plan, null, key);
        var sealTime = watch.Elapsed.TotalMilliseconds;
        var encrypted = PlanEnvelope.Seal(plan, RandomNumberGenerator.GetBytes(32), key);
        watch.Restart();
        PlanEnvelope.Open(compressed, null, "bench", key);
        var openTime = watch.Elapsed.TotalMilliseconds;
        Console.WriteLine($"{what}: raw {raw:N0} bytes (plan {plan.PlanFile.Length:N0} + summary {Encoding.UTF8.GetByteCount(plan.SummaryJson):N0}), stored compressed {compressed.Length:N0} ({(double)compressed.Length / raw:P1}), " +
                          $"compressed+encrypted {encrypted.Length:N0} ({(double)encrypted.Length / raw:P1}); seal {sealTime:N0} ms, open {openTime:N0} ms");
    }

    private static string Summary(string json)
    {
        var summary = PlanReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), "plan.json", Salt).GetAwaiter().GetResult();
        return JsonSerializer.Serialize(new { summary.Fingerprint, summary.Counts, Changes = summary.Changes.Select(c => new { c.Address, c.ActionList, c.ContentDigest }) });
    }

    /// <summary>terraform plan -out of n terraform_data resources (no provider to download); null when terraform is absent.</summary>
    private static async Task<byte[]?> TerraformPlanFileAsync(int resources)
    {
        var terraform = Environment.GetEnvironmentVariable("PLANBOT_TERRAFORM_BINARY") ?? "terraform";
        var dir = Directory.CreateTempSubdirectory("planbot-bench-tfplan-").FullName;
        try
        {
            var config = new StringBuilder();
            for (var i = 0; i < resources; i++)
            {
                config.Append($"resource \"terraform_data\" \"r{i}\" {{\n  input = {{ name = \"web-{i}\", size = \"t3.micro\", tags = {{ team = \"platform\", env = \"prod\" }} }}\n}}\n");
            }

            await File.WriteAllTextAsync(Path.Combine(dir, "main.tf"), config.ToString());
            foreach (var args in new[] { "init -input=false -no-color", "plan -input=false -no-color -out=tfplan" })
            {
                using var process = Process.Start(new ProcessStartInfo(terraform, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true })!;
                var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
                await process.WaitForExitAsync();
                await drain;
                if (process.ExitCode != 0)
                {
                    Console.WriteLine($"(terraform {args} failed: {(await drain)[1].Trim()})");
                    return null;
                }
            }

            return await File.ReadAllBytesAsync(Path.Combine(dir, "tfplan"));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.WriteLine("(terraform not found: the plan-file figure is skipped)");
            return null;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Best(Func<int> run)
    {
        var best = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            GC.KeepAlive(run());
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }

        return best;
    }

    private sealed class AddressesOnly
    {
        [JsonPropertyName("resource_changes")] public List<ChangeOnly>? Changes { get; set; }
    }

    private sealed class ChangeOnly
    {
        [JsonPropertyName("address")] public string? Address { get; set; }
        [JsonPropertyName("change")] public ActionsOnly? Change { get; set; }
    }

    private sealed class ActionsOnly
    {
        [JsonPropertyName("actions")] public List<string>? Actions { get; set; }
    }
}
