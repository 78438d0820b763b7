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

    /// <summary>The 1,000-resource plan of the benchmarks (its JSON as the plan file): big, repetitive, holding <see cref="PlanGenerator.Secret"/>.</summary>
    protected static readonly StoredPlan BigPlan = new(Encoding.UTF8.GetBytes(PlanGenerator.Plan(1_000)), """{"fingerprint":"v2:0123","project":"envs/prod/network"}""");

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
    public async Task A_compressed_plan_altered_in_storage_is_refused()
    {
        var store = CreateStore(null);
        await store.PutAsync(Key, BigPlan, CancellationToken.None);
        var raw = await ReadRawAsync(Key);
        raw[raw.Length / 2] ^= 0x01;
        await WriteRawAsync(Key, raw);
        (await Should.ThrowAsync<PlanIntegrityException>(() => store.GetAsync(Key, CancellationToken.None))).Message.ShouldContain("`/planbot plan`");
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
    public async Task An_encrypted_plan_altered_in_storage_is_refused()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var store = CreateStore(key);
        await store.PutAsync(Key, BigPlan, CancellationToken.None);
        var raw = await ReadRawAsync(Key);
        raw[raw.Length - 100] ^= 0x01;
        await WriteRawAsync(Key, raw);
        (await Should.ThrowAsync<PlanIntegrityException>(() => store.GetAsync(Key, CancellationToken.None))).Message.ShouldContain("does not decrypt");
    }

    [Fact]
    public async Task A_big_plan_is_stored_compressed_and_comes_back_byte_for_byte()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        foreach (var store in new[] { CreateStore(null), CreateStore(key) })
        {
            await store.PutAsync(Key, BigPlan, CancellationToken.None);
            var raw = await ReadRawAsync(Key);
            raw.Length.ShouldBeLessThan(BigPlan.PlanFile.Length / 5, "plan JSON compresses well; the store must keep it compressed");
            var read = (await store.GetAsync(Key, CancellationToken.None)).ShouldNotBeNull();
            read.PlanFile.ShouldBe(BigPlan.PlanFile);
            read.SummaryJson.ShouldBe(BigPlan.SummaryJson);
        }

        Encoding.UTF8.GetString(await ReadRawAsync(Key)).ShouldNotContain(PlanGenerator.Secret);
    }

    [Fact]
    public async Task A_truncated_or_foreign_object_is_refused_with_an_error_not_a_crash()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        await CreateStore(key).PutAsync(Key, Plan, CancellationToken.None);
        var sealedBytes = await ReadRawAsync(Key);
        foreach (var bytes in new[] { [], "hello"u8.ToArray(), sealedBytes[..20], sealedBytes[..45], sealedBytes[..^1] })
        {
            await WriteRawAsync(Key, bytes);
            var error = await Should.ThrowAsync<PlanIntegrityException>(() => CreateStore(key).GetAsync(Key, CancellationToken.None));
            error.Message.ShouldContain("`/planbot plan`");
        }
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

/// <summary>
/// Stores that seal each object for its <see cref="PlanKey"/> (<see cref="PlanEnvelope.Seal(StoredPlan, byte[], PlanKey)"/>):
/// a plan copied over another pull request's, head's or project's object is refused, not applied there.
/// </summary>
public abstract class KeyBoundPlanStoreContract : PlanStoreContract
{
    [Fact]
    public async Task A_plan_copied_over_another_prs_head_or_project_is_refused()
    {
        foreach (var key in new[] { null, RandomNumberGenerator.GetBytes(32) })
        {
            var store = CreateStore(key);
            await store.PutAsync(Key, Plan, CancellationToken.None);
            var raw = await ReadRawAsync(Key);
            foreach (var elsewhere in new[] { Key with { PullRequest = 43 }, Key with { HeadSha = "4567cdef" }, Key with { Project = "envs/prod/app" } })
            {
                await store.PutAsync(elsewhere, Plan, CancellationToken.None);
                await WriteRawAsync(elsewhere, raw);
                var error = await Should.ThrowAsync<PlanIntegrityException>(() => store.GetAsync(elsewhere, CancellationToken.None));
                error.Message.ShouldContain("copied from another pull request, head or project");
            }

            (await store.GetAsync(Key, CancellationToken.None)).ShouldNotBeNull().PlanFile.ShouldBe(Plan.PlanFile);
        }
    }
}
