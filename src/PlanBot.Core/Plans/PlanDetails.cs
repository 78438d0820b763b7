using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using PlanBot.Core.Plans.Values;

namespace PlanBot.Core.Plans;

/// <summary>
/// The attribute diffs of a plan, masked. Sensitive values are collected from the whole document up
/// front; each resource's diff is computed when it is first rendered and then kept, so a huge plan
/// whose comment shows only addresses never pays for 10,000 diffs.
/// </summary>
public sealed class PlanDetails
{
    private readonly Dictionary<string, JsonElement> _resources;
    private readonly Dictionary<string, JsonElement> _drift;
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _resourceDiffs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _driftDiffs = new(StringComparer.Ordinal);

    private PlanDetails(JsonDocument document, SecretScrubber scrubber)
    {
        // The document lives as long as these details: its elements are read lazily.
        Document = document;
        Scrubber = scrubber;
        var plan = document.RootElement;
        _resources = Index(plan, "resource_changes");
        _drift = Index(plan, "resource_drift");
        var outputs = new List<string>();
        if (plan.TryGetProperty("output_changes", out var changes) && changes.ValueKind == JsonValueKind.Object)
        {
            foreach (var output in changes.EnumerateObject().OrderBy(o => o.Name, StringComparer.Ordinal))
            {
                outputs.AddRange(AttributeDiff.ForOutput(output.Name, output.Value, scrubber));
            }
        }

        Outputs = outputs;
    }

    private JsonDocument Document { get; }

    public IReadOnlyList<string> Outputs { get; }

    /// <summary>How many distinct sensitive values are masked wherever they appear.</summary>
    public int MaskedValues => Scrubber.SecretCount;

    /// <summary>Masks text from this plan printed elsewhere (diagnostics): the same values and regexes.</summary>
    public SecretScrubber Scrubber { get; }

    public static string Key(ResourceChange change) => Key(change.Address, change.Deposed);

    public static string Key(string address, string? deposed) => deposed is null ? address : $"{address} deposed {deposed}";

    /// <summary>Takes ownership of <paramref name="document"/> (a whole `terraform show -json` plan).</summary>
    public static PlanDetails Build(JsonDocument document, IReadOnlyList<Regex> masks) =>
        new(document, new SecretScrubber(SensitiveValues.Collect(document.RootElement), masks));

    public IReadOnlyList<string> ResourceDiff(ResourceChange change) => Diff(change, _resources, _resourceDiffs, drift: false);

    public IReadOnlyList<string> DriftDiff(ResourceChange change) => Diff(change, _drift, _driftDiffs, drift: true);

    private IReadOnlyList<string> Diff(ResourceChange change, Dictionary<string, JsonElement> index, ConcurrentDictionary<string, IReadOnlyList<string>> cache, bool drift)
    {
        var key = Key(change);
        return cache.GetOrAdd(key, _ => index.TryGetValue(key, out var element)
            ? AttributeDiff.ForChange(element, Scrubber, showUnchangedCount: drift || change.Action is ChangeAction.Update or ChangeAction.Replace)
            : []);
    }

    private static Dictionary<string, JsonElement> Index(JsonElement plan, string field)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (!plan.TryGetProperty(field, out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return result;
        }

        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("address", out var address) && address.ValueKind == JsonValueKind.String &&
                item.TryGetProperty("change", out var change) && change.ValueKind == JsonValueKind.Object)
            {
                var deposed = item.TryGetProperty("deposed", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                result[Key(address.GetString()!, deposed)] = change;
            }
        }

        return result;
    }

    public static IReadOnlyList<Regex> CompileMasks(IReadOnlyList<string> patterns) =>
        [.. patterns.Select(p => new Regex(p, RegexOptions.CultureInvariant, Config.RegexProbe.MatchTimeout))];
}
