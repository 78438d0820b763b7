using System.Security.Cryptography;
using System.Text;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Policy;

/// <summary>
/// A pull request that changes planbot.yaml's policy keys while no planned project needs approval
/// (a policy-only PR) gets one approval item of its own, <see cref="Item"/>: approved like a
/// project (<c>/planbot approve</c>, bound to the head, voided by a push), never by the PR's author.
/// On strict lock backends its approvals are kept, like a project's, in a lock record of its own
/// (<see cref="Key"/>, one per PR so two policy PRs never block each other), released with the PR's locks.
/// </summary>
public static class PolicyApproval
{
    /// <summary>The item's name in the plan's fingerprints and in <c>/planbot approve -p</c>.</summary>
    public const string Item = "planbot.yaml";

    /// <summary>The policy change needs its own item: it changes policy keys and no planned project (<paramref name="projects"/>: their requirements) carries the approval.</summary>
    /// <remarks>Takes the requirements, not the run report: Policy stands below Runs (NamespaceCycleTests).</remarks>
    public static bool Needed(PlanBotConfig config, IEnumerable<ApprovalRequirement> projects)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(projects);
        return config.PolicyChanges.Count > 0 && !projects.Any(p => p.Required);
    }

    /// <summary>What an approval of the item binds to: the policy keys changed (the head binds the rest).</summary>
    public static string Fingerprint(PlanBotConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return "policy:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', config.PolicyChanges))));
    }

    /// <summary>The lock record that keeps the item's approvals on strict backends.</summary>
    public static LockKey Key(string repo, int pullRequest) => new(LockKind.Project, repo, Item, $"policy-pr-{pullRequest}");

    /// <summary>Whether a lock record is a policy item's rather than a project's.</summary>
    public static bool IsKey(LockKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Kind == LockKind.Project && key.Dir == Item && key.Workspace.StartsWith("policy-pr-", StringComparison.Ordinal);
    }
}
