using PlanBot.Core.Config;

namespace PlanBot.Core.Ports;

/// <summary>
/// The lock and plan stores a repository's configuration chooses (<c>locks.backend</c>,
/// <c>plans.store</c>), with the host's default when the file chooses none (PlanBot.Hosting).
/// </summary>
public interface IStores
{
    /// <summary>The lock backend used for this configuration: its <c>locks.backend</c>, else the host's default.</summary>
    string LocksBackend(PlanBotConfig config);

    ILockStore Locks(PlanBotConfig config);

    /// <summary>Where the approvals of <paramref name="locks"/>' projects are kept: the lock store itself (every backend implements both ports).</summary>
    IApprovalStore Approvals(ILockStore locks);

    IPlanStore Plans(PlanBotConfig config);
}
