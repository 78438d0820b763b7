using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using PlanBot.Core.Plans.Values;

namespace PlanBot.Core.Plans;

/// <summary>
/// The attribute diffs of a plan, masked. Sensitive values are collected from the whole document up
/// front; each resource's diff is computed when it is first rendered and then kept, so a huge plan
/// whose comment shows only addresses never pays for 10,000 diffs. The plan's bytes are kept, not a
/// parsed document of them: a resource's change object is parsed on its own when its diff is asked
/// for (<see cref="PlanStream"/>, issue 19).
/// </summary>
public sealed class PlanDetails
{
    private static readonly JsonDocumentOptions PartOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = PlanReader.MaxDepth };

    private readonly Dictionary<string, ReadOnlyMemory<byte>> _resources;
    private readonly Dictionary<string, ReadOnlyMemory<byte>> _drift;
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _resourceDiffs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _driftDiffs = new(StringComparer.Ordinal);

    private PlanDetails(PlanStream plan, SecretScrubber scrubber)
    {
        Scrubber = scrubber;
        _resources = plan.Resources;
        _drift = plan.Drift;
        var outputs = new List<string>();
        foreach (var (name, change) in plan.Outputs.OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(change, PartOptions);
            outputs.AddRange(AttributeDiff.ForOutput(name, document.RootElement, scrubber));
        }

        Outputs = outputs;
    }

    public IReadOnlyList<string> Outputs { get; }

    /// <summary>How many distinct sensitive values are masked wherever they appear.</summary>
    public int MaskedValues => Scrubber.SecretCount;

    /// <summary>Masks text from this plan printed elsewhere (diagnostics): the same values and regexes.</summary>
    public SecretScrubber Scrubber { get; }

    public static string Key(ResourceChange change) => Key(change.Address, change.Deposed);

    public static string Key(string address, string? deposed) => deposed is null ? address : $"{address} deposed {deposed}";

    /// <summary>The details of a plan read by <see cref="PlanStream"/> (whose bytes they keep).</summary>
    internal static PlanDetails Build(PlanStream plan, IReadOnlyList<Regex> masks) =>
        new(plan, new SecretScrubber(plan.Sensitive, masks));

    public IReadOnlyList<string> ResourceDiff(ResourceChange change) => Diff(change, _resources, _resourceDiffs, drift: false);

    /// <summary>
    /// Computes the diffs of <paramref name="changes"/> on two threads, ahead of the comment asking for
    /// them one by one (issue 19: the diffs are most of a 1,000-change comment's time). Only a cache
    /// is filled: a diff that fails here is computed again when asked for, and fails there as before.
    /// </summary>
    internal void Prefetch(ArraySegment<ResourceChange> changes, bool drift)
    {
        var index = drift ? _drift : _resources;
        var cache = drift ? _driftDiffs : _resourceDiffs;
        Parallel.For(0, changes.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            try
            {
                Diff(changes[i], index, cache, drift);
            }
            catch (Exception)
            {
                // asked for again by the comment, which then meets the error itself
            }
        });
    }

    public IReadOnlyList<string> DriftDiff(ResourceChange change) => Diff(change, _drift, _driftDiffs, drift: true);

    private IReadOnlyList<string> Diff(ResourceChange change, Dictionary<string, ReadOnlyMemory<byte>> index, ConcurrentDictionary<string, IReadOnlyList<string>> cache, bool drift)
    {
        var key = Key(change);
        return cache.GetOrAdd(key, _ =>
        {
            if (!index.TryGetValue(key, out var bytes))
            {
                return [];
            }

            using var document = JsonDocument.Parse(bytes, PartOptions);
            return AttributeDiff.ForChange(document.RootElement, Scrubber, showUnchangedCount: drift || change.Action is ChangeAction.Update or ChangeAction.Replace);
        });
    }

    public static IReadOnlyList<Regex> CompileMasks(IReadOnlyList<string> patterns) =>
        [.. patterns.Select(p => new Regex(p, RegexOptions.CultureInvariant, Config.RegexProbe.MatchTimeout))];
}
