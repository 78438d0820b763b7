using System.Security.Cryptography;
using System.Text;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using Shouldly;
using Xunit;

namespace PlanBot.Testing;

/// <summary>The behaviour every <see cref="IPlanStore"/> must have; a backend's test class derives from this.</summary>
public abstract class PlanStoreContract
{
    protected static readonly PlanKey Key = new("acme/infra", 42, "0123abcd", "envs/prod/network");

    /// <summary>A plan file holding a secret, as terraform's do.</summary>
    protected static readonly StoredPlan Plan = new(Encoding.UTF8.GetBytes("PK\u0003\u0004 tfplan with db_password=hunter2-very-secret"), """{"fingerprint":"sha256:abc"}""");

    protected abstract IPlanStore CreateStore(byte[]? key);

    /// <summary>The raw stored bytes of an object, and a way to overwrite them (as an attacker with bucket access could).</summary>
    protected abstract Task<byte[]> ReadRawAsync(PlanKey key);

    protected abstract Task WriteRawAsync(PlanKey key, byte[] bytes);

    [Fact]
    public async Task A_plan_round_trips_and_a_missing_one_is_null()
    {
        var store = CreateStore(null);
        await store.PutAsync(Key, Plan, CancellationToken.None);
        var read = (await store.GetAsync(Key, CancellationToken.None)).ShouldNotBeNull();
        read.PlanFile.ShouldBe(Plan.PlanFile);
        read.SummaryJson.ShouldBe(Plan.SummaryJson);
        (await store.GetAsync(Key with { HeadSha = "ffff" }, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task A_plan_altered_in_storage_is_rejected_by_its_checksum()
    {
        var store = CreateStore(null);
        await store.PutAsync(Key, Plan, CancellationToken.None);
        var raw = await ReadRawAsync(Key);
        raw[^5] ^= 0x20;
        await WriteRawAsync(Key, raw);
        var error = await Should.ThrowAsync<PlanIntegrityException>(() => store.GetAsync(Key, CancellationToken.None));
        error.Message.ShouldContain("SHA-256 mismatch");
    }

    [Fact]
    public async Task An_encrypted_plan_leaves_no_plaintext_in_storage_and_cannot_be_read_without_its_key()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        await CreateStore(key).PutAsync(Key, Plan, CancellationToken.None);
        Encoding.UTF8.GetString(await ReadRawAsync(Key)).ShouldNotContain("hunter2");

        (await Should.ThrowAsync<PlanIntegrityException>(() => CreateStore(null).GetAsync(Key, CancellationToken.None))).Message.ShouldContain("PLANBOT_PLAN_KEY");
        await Should.ThrowAsync<PlanIntegrityException>(() => CreateStore(RandomNumberGenerator.GetBytes(32)).GetAsync(Key, CancellationToken.None));
        (await CreateStore(key).GetAsync(Key, CancellationToken.None))!.PlanFile.ShouldBe(Plan.PlanFile);
    }

    [Fact]
    public async Task Closing_a_pr_deletes_its_plans_and_no_one_elses()
    {
        var store = CreateStore(null);
        await store.PutAsync(Key, Plan, CancellationToken.None);
        await store.PutAsync(Key with { HeadSha = "bbbb", Project = "app" }, Plan, CancellationToken.None);
        var other = Key with { PullRequest = 421 };
        await store.PutAsync(other, Plan, CancellationToken.None);

        (await store.DeletePullRequestAsync("acme/infra", 42, CancellationToken.None)).ShouldBe(2);
        (await store.GetAsync(Key, CancellationToken.None)).ShouldBeNull();
        (await store.GetAsync(other, CancellationToken.None)).ShouldNotBeNull();
    }
}
