using PlanBot.Core.Workflows;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>
/// The level jobs of a fanned-out apply (action/apply-fanout.yml has four, chained): each job holds
/// one level's batches, and a merge with more levels than jobs gives the last job every remaining
/// level, in order, as one batch.
/// </summary>
public class ApplyFanOutTests
{
    private static IReadOnlyList<IReadOnlyList<string>> Levels(params int[] sizes) =>
        [.. sizes.Select((size, level) => (IReadOnlyList<string>)[.. Enumerable.Range(1, size).Select(i => $"l{level + 1}-{i:D2}")])];

    [Fact]
    public void Up_to_four_levels_each_job_holds_its_own_levels_batches_and_the_rest_are_empty()
    {
        var jobs = ApplyFanOut.JobLevels(Levels(3, 1), maxJobs: 2);

        jobs.Count.ShouldBe(ApplyFanOut.LevelJobs);
        jobs[0].SelectMany(b => b).ShouldBe(["l1-01", "l1-02", "l1-03"], "level 1's projects, in order");
        jobs[0].Count.ShouldBe(2, "cut into batches as the plan matrix cuts them (max-jobs 2)");
        jobs[1].Select(b => string.Join(",", b)).ShouldBe(["l2-01"]);
        jobs[2].ShouldBeEmpty();
        jobs[3].ShouldBeEmpty();
        ApplyFanOut.Json(jobs[2]).ShouldBe("[]", "the workflow skips a level job whose output is []");
    }

    [Theory]
    [InlineData(new[] { 2, 1, 1, 1, 1 })]
    [InlineData(new[] { 1, 1, 1, 2, 3, 1, 1 })]
    public void Past_four_levels_the_last_job_applies_every_remaining_level_in_order_as_one_batch(int[] sizes)
    {
        var levels = Levels(sizes);
        var jobs = ApplyFanOut.JobLevels(levels, maxJobs: 8);

        jobs.Count.ShouldBe(ApplyFanOut.LevelJobs);
        for (var job = 0; job < ApplyFanOut.LevelJobs - 1; job++)
        {
            jobs[job].SelectMany(b => b).ShouldBe(levels[job], $"level job {job + 1} holds level {job + 1} only");
        }

        jobs[^1].ShouldHaveSingleItem().ShouldBe(levels.Skip(ApplyFanOut.LevelJobs - 1).SelectMany(l => l), "levels 4 and on, upstream first");
        jobs.SelectMany(j => j).SelectMany(b => b).ShouldBe(levels.SelectMany(l => l), "every project in exactly one job, in apply order");
    }
}
