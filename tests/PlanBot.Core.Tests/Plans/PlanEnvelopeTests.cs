using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Plans;

/// <summary>The sealed format itself; every store's behaviour is in PlanStoreContract.</summary>
public class PlanEnvelopeTests
{
    private static readonly PlanKey Key = new("acme/infra", 7, "abc123", "prod/network");
    private static readonly StoredPlan Small = new("PK tfplan"u8.ToArray(), """{"fingerprint":"v2:00"}""");

    [Fact]
    public void An_object_written_before_compression_and_binding_still_opens()
    {
        // PBPLAN1, flag 0, SHA-256 of the payload, payload: what PlanBot wrote before issue 16
        var summary = Encoding.UTF8.GetBytes(Small.SummaryJson);
        var payload = new byte[4 + summary.Length + Small.PlanFile.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload, summary.Length);
        summary.CopyTo(payload, 4);
        Small.PlanFile.CopyTo(payload, 4 + summary.Length);
        byte[] old = [.. "PBPLAN1"u8, 0, .. SHA256.HashData(payload), .. payload];

        var read = PlanEnvelope.Open(old, null, "old.plan", Key);
        read.PlanFile.ShouldBe(Small.PlanFile);
        read.SummaryJson.ShouldBe(Small.SummaryJson);
    }

    [Fact]
    public void Small_payloads_are_not_compressed_and_big_ones_are()
    {
        var small = PlanEnvelope.Seal(Small, null, Key);
        (small[7] & 2).ShouldBe(0);
        var big = new StoredPlan(Encoding.UTF8.GetBytes(PlanGenerator.Plan(100)), "{}");
        var sealedBig = PlanEnvelope.Seal(big, null, Key);
        (sealedBig[7] & 2).ShouldBe(2);
        PlanEnvelope.Open(sealedBig, null, "big.plan", Key).PlanFile.ShouldBe(big.PlanFile);
    }

    [Fact]
    public void A_hostile_compressed_length_never_allocates_and_is_refused()
    {
        var big = new StoredPlan(Encoding.UTF8.GetBytes(PlanGenerator.Plan(100)), "{}");
        var sealedBytes = PlanEnvelope.Seal(big, null, null);
        BinaryPrimitives.WriteInt64BigEndian(sealedBytes.AsSpan(40), long.MaxValue);
        Should.Throw<PlanIntegrityException>(() => PlanEnvelope.Open(sealedBytes, null, "bomb.plan")).Message.ShouldContain("damaged plan object");
        BinaryPrimitives.WriteInt64BigEndian(sealedBytes.AsSpan(40), 10);
        Should.Throw<PlanIntegrityException>(() => PlanEnvelope.Open(sealedBytes, null, "short.plan")).Message.ShouldContain("does not decompress");
    }

    /// <summary>With a key, an object in clear (its SHA-256 recomputed by whoever wrote it) is refused before it is decompressed.</summary>
    [Fact]
    public void With_a_plan_key_an_object_in_clear_is_refused_and_never_decompressed()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var big = new StoredPlan(Encoding.UTF8.GetBytes(PlanGenerator.Plan(100)), "{}");
        var clear = PlanEnvelope.Seal(big, null, Key);
        (clear[7] & 3).ShouldBe(2, "compressed, not encrypted");
        PlanEnvelope.Open(clear, null, "clear.plan", Key).PlanFile.ShouldBe(big.PlanFile);
        Should.Throw<PlanIntegrityException>(() => PlanEnvelope.Open(clear, key, "clear.plan", Key)).Message.ShouldContain("stored in clear but PLANBOT_PLAN_KEY is set");

        BinaryPrimitives.WriteInt64BigEndian(clear.AsSpan(40), long.MaxValue); // a damaged length: refused as clear first, not read
        Should.Throw<PlanIntegrityException>(() => PlanEnvelope.Open(clear, key, "clear.plan", Key)).Message.ShouldContain("stored in clear");
        PlanEnvelope.Open(PlanEnvelope.Seal(big, key, Key), key, "sealed.plan", Key).PlanFile.ShouldBe(big.PlanFile);
    }

    [Fact]
    public void A_bound_object_needs_its_key_to_be_opened()
    {
        var sealedBytes = PlanEnvelope.Seal(Small, null, Key);
        Should.Throw<PlanIntegrityException>(() => PlanEnvelope.Open(sealedBytes, null, "x.plan")).Message.ShouldContain("does not say which it reads");
        Should.Throw<PlanIntegrityException>(() => PlanEnvelope.Open(sealedBytes, null, "x.plan", Key with { Repo = "acme/other" })).Message.ShouldContain("copied from another");
        PlanEnvelope.Open(sealedBytes, null, "x.plan", Key).SummaryJson.ShouldBe(Small.SummaryJson);
    }

    [Theory]
    [InlineData("..", "prod")]
    [InlineData("../../etc", "..")]
    [InlineData(".", ".")]
    public void A_key_never_names_a_path_outside_the_store(string head, string project)
    {
        var name = new PlanKey("..", 1, head, project).Name;
        name.Split('/').ShouldAllBe(segment => segment != "." && segment != "..");
    }
}
