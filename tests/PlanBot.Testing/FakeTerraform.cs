using System.Collections.Concurrent;
using PlanBot.Core.Ports;

namespace PlanBot.Testing;

/// <summary>
/// A terraform that runs nothing: each plan writes a prepared plan JSON (or fails) after an optional
/// delay, and records what ran, in what order and how many at once.
/// </summary>
public sealed class FakeTerraform : ITerraform
{
    private int _running;

    /// <summary>Project dir name (last segment of the working dir) → plan JSON to "produce".</summary>
    public ConcurrentDictionary<string, string> Plans { get; } = new();

    /// <summary>Dirs whose plan fails, with the error text.</summary>
    public ConcurrentDictionary<string, string> Failures { get; } = new();

    public ConcurrentDictionary<string, TimeSpan> Delays { get; } = new();

    public ConcurrentQueue<string> Started { get; } = new();

    public int MaxConcurrent { get; private set; }

    public static string Key(TerraformContext context) => context.WorkingDir.Replace('\\', '/');

    public Task<TerraformResult> InitAsync(TerraformContext context, CancellationToken cancellationToken) =>
        Task.FromResult(new TerraformResult { Outcome = TerraformOutcome.Succeeded });

    public Task<TerraformResult> SelectWorkspaceAsync(TerraformContext context, CancellationToken cancellationToken) =>
        Task.FromResult(new TerraformResult { Outcome = TerraformOutcome.Succeeded });

    public async Task<TerraformResult> PlanAsync(TerraformContext context, string planFile, CancellationToken cancellationToken)
    {
        var key = Match(context);
        Started.Enqueue(key);
        var now = Interlocked.Increment(ref _running);
        lock (this)
        {
            MaxConcurrent = Math.Max(MaxConcurrent, now);
        }

        try
        {
            if (Delays.TryGetValue(key, out var delay))
            {
                await Task.Delay(delay, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return new TerraformResult { Outcome = TerraformOutcome.Cancelled, Error = "terraform plan was cancelled" };
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }

        if (Failures.TryGetValue(key, out var error))
        {
            return new TerraformResult { Outcome = TerraformOutcome.Failed, ExitCode = 1, Error = error, Diagnostics = error };
        }

        await File.WriteAllTextAsync(planFile, "fake plan", cancellationToken);
        return new TerraformResult { Outcome = TerraformOutcome.Changes, ExitCode = 2 };
    }

    public async Task<TerraformResult> ShowJsonAsync(TerraformContext context, string planFile, string jsonFile, CancellationToken cancellationToken)
    {
        var json = Plans.TryGetValue(Match(context), out var plan) ? plan : EmptyPlan;
        await File.WriteAllTextAsync(jsonFile, json, cancellationToken);
        return new TerraformResult { Outcome = TerraformOutcome.Succeeded };
    }

    /// <summary>The working dirs applied, in order.</summary>
    public ConcurrentQueue<string> Applied { get; } = new();

    public Task<TerraformResult> ApplyAsync(TerraformContext context, string planFile, CancellationToken cancellationToken)
    {
        Applied.Enqueue(Key(context));
        return Task.FromResult(new TerraformResult { Outcome = TerraformOutcome.Succeeded });
    }

    public const string EmptyPlan = """{"format_version":"1.2","terraform_version":"1.11.4","applyable":false,"complete":true}""";

    public static string PlanWith(params (string Address, string Actions)[] changes)
    {
        var items = changes.Select(c =>
        {
            var parts = c.Address.Split('.');
            var actions = string.Join(",", c.Actions.Split(',').Select(a => $"\"{a}\""));
            return "{\"address\":\"" + c.Address + "\",\"mode\":\"managed\",\"type\":\"" + parts[^2] + "\",\"name\":\"" + parts[^1] +
                   "\",\"change\":{\"actions\":[" + actions + "]}}";
        });
        return "{\"format_version\":\"1.2\",\"terraform_version\":\"1.11.4\",\"resource_changes\":[" + string.Join(",", items) + "]}";
    }

    /// <summary>The registered key (a project dir suffix) that the working dir ends with.</summary>
    private string Match(TerraformContext context)
    {
        var dir = Key(context);
        return Plans.Keys.Concat(Failures.Keys).Concat(Delays.Keys)
            .Where(k => dir.EndsWith("/" + k, StringComparison.Ordinal))
            .OrderByDescending(k => k.Length)
            .FirstOrDefault() ?? dir;
    }
}
