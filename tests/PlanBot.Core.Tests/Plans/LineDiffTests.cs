using PlanBot.Core.Plans.Values;

namespace PlanBot.Core.Tests.Plans;

public class LineDiffTests
{
    [Fact]
    public void Random_edits_reconstruct_both_sides_and_are_no_longer_than_the_edit_script()
    {
        var random = new Random(42);
        for (var round = 0; round < 300; round++)
        {
            var a = Enumerable.Range(0, random.Next(0, 40)).Select(_ => ((char)('a' + random.Next(6))).ToString()).ToArray();
            var b = a.ToList();
            var edits = random.Next(0, 6);
            for (var e = 0; e < edits; e++)
            {
                if (b.Count > 0 && random.Next(2) == 0)
                {
                    b.RemoveAt(random.Next(b.Count));
                }
                else
                {
                    b.Insert(random.Next(b.Count + 1), "z" + e);
                }
            }

            var ops = LineDiff.Diff(a, [.. b]);
            ops.Where(o => o.Op != '+').Select(o => o.Line).ShouldBe(a);
            ops.Where(o => o.Op != '-').Select(o => o.Line).ShouldBe(b);
            ops.Count(o => o.Op != ' ').ShouldBeLessThanOrEqualTo(edits);
        }
    }

    [Fact]
    public void Huge_inputs_with_many_differences_fall_back_to_removed_then_added()
    {
        var a = Enumerable.Range(0, 3000).Select(i => $"a{i}").ToArray();
        var b = Enumerable.Range(0, 3000).Select(i => $"b{i}").ToArray();
        var ops = LineDiff.Diff(a, b);
        ops.Count.ShouldBe(6000);
        ops.Take(3000).ShouldAllBe(o => o.Op == '-');
    }
}
