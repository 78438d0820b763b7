using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;
using PlanBot.Core.Workflows;
using PlanBot.Local.Plans;
using PlanBot.Testing;

namespace PlanBot.Benchmarks;

/// <summary>
/// The apply figures of issue 16: per project, the overhead of the merge's two paths over terraform's
/// own `terraform apply PLANFILE` (whole-process ratio, real terraform, terraform_data, local backend):
/// the stored-plan path (store get + init + apply of the stored file) and the re-plan path
/// (init + plan + show + read + apply); and the plan store's put/get per project (local store,
/// encrypted) for that project and for the 1,000-resource plan.
/// </summary>
public static class ApplyBench
{
    private const int Resources = 20;
    private const int Rounds = 3;

    public static async Task<int> RunAsync()
    {
        static string Config(string value) => TerraformFiles.LocalBackend + string.Concat(Enumerable.Range(0, Resources).Select(i => TerraformFiles.Resource($"r{i}", $"{value}-{i}")));
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["net/main.tf"] = Config("v0") });
        await scenario.ApplyAsync("net");
        var terraform = Scenario.Terraform;
        var store = new LocalPlanStore(Path.Combine(scenario.DataDir, "plans"), RandomNumberGenerator.GetBytes(32));
        var context = new TerraformContext { WorkingDir = Path.Combine(scenario.Repo.Root, "net"), LogFile = Path.Combine(scenario.DataDir, "bench.log") };
        var round = 0;

        async Task<(string Head, ProjectResult Plan)> PlanChangeAsync()
        {
            scenario.Repo.Write("net/main.tf", Config($"v{++round}"));
            var head = await scenario.Repo.CommitAsync();
            return (head, (await scenario.PlanHeadAsync(head, ["net"])).Projects.Single());
        }

        var own = new List<double>();
        var stored = new List<double>();
        var replan = new List<double>();
        var put = new List<double>();
        var get = new List<double>();
        for (var i = 0; i < Rounds; i++)
        {
            var (_, plan) = await PlanChangeAsync();
            own.Add(await TimeAsync(async () => Ok(await terraform.ApplyAsync(context, plan.PlanFile!, CancellationToken.None))));

            var (head, next) = await PlanChangeAsync();
            var key = new PlanKey("acme/infra", 1, head, "net");
            put.Add(await TimeAsync(() => PlanFiles.PutAsync(store, key, next, head, CancellationToken.None)));
            get.Add(await TimeAsync(() => store.GetAsync(key, CancellationToken.None)));
            stored.Add(await TimeAsync(async () =>
            {
                var file = Path.Combine(scenario.DataDir, "stored.tfplan");
                await File.WriteAllBytesAsync(file, (await store.GetAsync(key, CancellationToken.None))!.PlanFile);
                Ok(await terraform.InitAsync(context, CancellationToken.None));
                Ok(await terraform.ApplyAsync(context, file, CancellationToken.None));
            }));

            scenario.Repo.Write("net/main.tf", Config($"v{++round}"));
            var replanHead = await scenario.Repo.CommitAsync();
            replan.Add(await TimeAsync(async () =>
            {
                var planned = (await scenario.PlanHeadAsync(replanHead, ["net"])).Projects.Single();
                Ok(await terraform.ApplyAsync(context, planned.PlanFile!, CancellationToken.None));
            }));
        }

        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Console.WriteLine($"apply: 1 project of {Resources} terraform_data (update all), median of {Rounds}, load average {LoadAverage()}:");
        Console.WriteLine($"  terraform's own apply of a plan file {Median(own):N0} ms");
        Console.WriteLine($"  stored-plan path (get + init + apply) {Median(stored):N0} ms = {Median(stored) / Median(own):N2}× terraform's apply");
        Console.WriteLine($"  re-plan path (init + plan + show + read + apply) {Median(replan):N0} ms = {Median(replan) / Median(own):N2}× terraform's apply");
        Console.WriteLine($"  plan store (local, encrypted): put {Median(put):N1} ms (plan file + summary with values), get {Median(get):N1} ms per project");

        var big = Encoding.UTF8.GetBytes(PlanGenerator.Plan(1_000));
        var bigKey = new PlanKey("acme/infra", 1, "big", "net");
        var bigPlan = new StoredPlan(big, "{}");
        var bigPut = await TimeAsync(() => store.PutAsync(bigKey, bigPlan, CancellationToken.None));
        var bigGet = await TimeAsync(() => store.GetAsync(bigKey, CancellationToken.None));
        Console.WriteLine($"  plan store, 1,000-resource plan JSON ({big.Length / 1024.0:N0} KiB): put {bigPut:N0} ms, get {bigGet:N0} ms, {new FileInfo(store.PathOf(bigKey)).Length / 1024.0:N0} KiB stored");
        return 0;
    }

    private static void Ok(TerraformResult result)
    {
        if (!result.Ok)
        {
            throw new InvalidOperationException($"terraform {result.Outcome}: {result.Error}");
        }
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
