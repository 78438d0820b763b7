using PlanBot.Core.Graph;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>
/// Which projects the merge apply (<see cref="MergeApply"/>) re-plans after which upstream, told
/// before the merge: from the same <see cref="ProjectGraph.DependentsOf"/> edges it follows. A
/// project of the PR with changes applies; every project reading it (touched by the PR or not) is
/// re-planned once it has. With <c>apply.dependents: apply</c> a dependent may apply too, so its own
/// readers follow; with <c>plan</c> it only waits, and the walk stops there.
/// </summary>
public static class MergeDependents
{
    public static AfterMerge? For(ProjectGraph graph, RunReport report, bool applyDependents)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(report);
        var inPullRequest = report.Projects.Select(p => p.Project.Name).ToHashSet(StringComparer.Ordinal);
        var queue = new Queue<string>(report.Projects.Where(p => p.Status == ProjectStatus.Planned && p.Plan is { HasChanges: true }).Select(p => p.Project.Name));
        var seen = new HashSet<string>(queue, StringComparer.Ordinal);
        var replans = new List<DependentReplan>();
        while (queue.TryDequeue(out var upstream))
        {
            foreach (var edge in graph.DependentsOf(upstream))
            {
                var mine = inPullRequest.Contains(edge.From);
                replans.Add(new DependentReplan(upstream, edge.From, edge.Reason, mine));
                if (!mine && applyDependents && seen.Add(edge.From))
                {
                    queue.Enqueue(edge.From);
                }
            }
        }

        return replans.Count == 0 ? null : new AfterMerge(replans, applyDependents);
    }
}
