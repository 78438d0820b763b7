using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Fakes;

/// <summary>The workflow tests' lock store passes the strict backends' contract, so what they prove holds for a real backend.</summary>
public sealed class InMemoryLockStoreTests : StrictLockStoreContract
{
    protected override ILockStore CreateStore() => new InMemoryLockStore(Clock);
}
