using PlanBot.Core.Ports;
using PlanBot.Local.Plans;
using PlanBot.Testing;

namespace PlanBot.Local.Tests.Plans;

public sealed class LocalPlanStoreTests : KeyBoundPlanStoreContract, IDisposable
{
    private readonly TempDir _dir = new("planbot-plans");

    protected override IPlanStore CreateStore(byte[]? key) => new LocalPlanStore(_dir.Path, key);

    protected override Task<byte[]> ReadRawAsync(PlanKey key) => File.ReadAllBytesAsync(new LocalPlanStore(_dir.Path, null).PathOf(key));

    protected override Task WriteRawAsync(PlanKey key, byte[] bytes) => File.WriteAllBytesAsync(new LocalPlanStore(_dir.Path, null).PathOf(key), bytes);

    public void Dispose() => _dir.Dispose();
}
