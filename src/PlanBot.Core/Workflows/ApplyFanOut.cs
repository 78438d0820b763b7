using System.Text.Json;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The level jobs of a fanned-out apply after merge (action/apply-fanout.yml): apply levels are
/// sequenced (a dependent's re-plan must see its upstream's new outputs), so the workflow has a fixed
/// chain of <see cref="LevelJobs"/> jobs, each a matrix over its level's batches. A merge with more
/// levels gives the last job every remaining level as one batch, which applies them in order in one
/// job, as the single job would.
/// </summary>
public static class ApplyFanOut
{
    /// <summary>The level jobs of action/apply-fanout.yml (level1 … level4).</summary>
    public const int LevelJobs = 4;

    /// <summary>Each level job's batches (empty: that job is skipped).</summary>
    public static IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> JobLevels(IReadOnlyList<IReadOnlyList<string>> levels, int maxJobs)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var batches = FanOutMatrix.Entries(levels, maxJobs);
        var jobs = new List<IReadOnlyList<IReadOnlyList<string>>>();
        for (var job = 1; job <= LevelJobs; job++)
        {
            if (job == LevelJobs && levels.Count > LevelJobs)
            {
                jobs.Add([[.. levels.Skip(LevelJobs - 1).SelectMany(l => l)]]);
            }
            else
            {
                jobs.Add([.. batches.Where(e => e.Level == job).Select(e => e.Projects)]);
            }
        }

        return jobs;
    }

    /// <summary>One line of JSON for a job output.</summary>
    public static string Json(IReadOnlyList<IReadOnlyList<string>> value) => JsonSerializer.Serialize(value, OutputJson.Default.IReadOnlyListIReadOnlyListString);

    /// <summary>One line of JSON for a job output: every level's jobs.</summary>
    public static string Json(IReadOnlyList<IReadOnlyList<string>>[] value) => JsonSerializer.Serialize(value, OutputJson.Default.IReadOnlyListIReadOnlyListStringArray);
}
