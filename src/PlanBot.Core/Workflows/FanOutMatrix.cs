using System.Text.Json;
using System.Text.Json.Nodes;
using PlanBot.Core.Common;

namespace PlanBot.Core.Workflows;

/// <summary>One job of a fan-out's matrix: its projects, all of one dependency level (1 = depends on nothing in the PR).</summary>
public sealed record FanOutEntry(string Id, string Name, int Level, IReadOnlyList<string> Projects);

/// <summary>
/// The job matrix of a fanned-out plan. One entry per affected project while they fit in
/// <c>max-jobs</c>; past that, each level is cut into batches of at most ceil(projects / max-jobs)
/// projects, so a batch never mixes levels (a batch plans its projects in dependency order within
/// one job) and the entries number at most max-jobs plus the number of levels minus one.
/// </summary>
public static class FanOutMatrix
{
    /// <summary>GitHub Actions runs at most 256 jobs of one matrix.</summary>
    public const int MaxJobsLimit = 256;

    public const int DefaultMaxJobs = 20;

    public static IReadOnlyList<FanOutEntry> Entries(IReadOnlyList<IReadOnlyList<string>> levels, int maxJobs)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (maxJobs is < 1 or > MaxJobsLimit)
        {
            throw new UsageException($"--max-jobs {maxJobs}: use 1 to {MaxJobsLimit} (GitHub Actions runs at most {MaxJobsLimit} jobs of one matrix)");
        }

        var total = levels.Sum(l => l.Count);
        var entries = new List<FanOutEntry>();
        var size = total <= maxJobs ? 1 : (total + maxJobs - 1) / maxJobs;
        for (var level = 0; level < levels.Count; level++)
        {
            var projects = levels[level];
            var batches = (projects.Count + size - 1) / size;
            for (var b = 0; b < batches; b++)
            {
                // near-equal batches: the first (count % batches) get one more
                var start = (b * projects.Count) / batches;
                var end = ((b + 1) * projects.Count) / batches;
                var batch = projects.Skip(start).Take(end - start).ToArray();
                var id = (entries.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                entries.Add(new FanOutEntry(id, batch.Length == 1 ? batch[0] : $"level {level + 1} batch {b + 1} ({batch.Length} projects)", level + 1, batch));
            }
        }

        return entries;
    }

    /// <summary>The matrix as GitHub Actions reads it from an output (<c>fromJSON(needs.matrix.outputs.matrix)</c>): one line of JSON.</summary>
    public static string Json(IReadOnlyList<FanOutEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var include = new JsonArray();
        foreach (var e in entries)
        {
            include.Add((JsonNode)new JsonObject
            {
                ["id"] = e.Id,
                ["name"] = e.Name,
                ["level"] = e.Level,
                ["projects"] = new JsonArray([.. e.Projects.Select(p => (JsonNode?)JsonValue.Create(p))]),
            });
        }

        return new JsonObject { ["include"] = include }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>A matrix entry's projects as the plan job passes them: a JSON array (<c>toJSON(matrix.projects)</c>) or a comma-separated list.</summary>
    /// <exception cref="UsageException">Neither, or empty.</exception>
    public static IReadOnlyList<string> ParseProjects(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        IReadOnlyList<string> names;
        if (trimmed.StartsWith('['))
        {
            try
            {
                names = JsonSerializer.Deserialize(trimmed, OutputJson.Default.StringArray) ?? [];
            }
            catch (JsonException e)
            {
                throw new UsageException($"--projects is not a JSON array of project names ({e.Message}); pass ${{{{ toJSON(matrix.projects) }}}} from the matrix");
            }
        }
        else
        {
            names = trimmed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        return names.Count == 0 || names.Any(string.IsNullOrWhiteSpace)
            ? throw new UsageException("--projects names no project: the plan phase plans one matrix entry's projects; pass ${{ toJSON(matrix.projects) }}")
            : names;
    }
}
