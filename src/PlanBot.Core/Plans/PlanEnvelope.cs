using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Plans;

/// <summary>A stored plan that cannot be trusted: altered, truncated, or encrypted with another key.</summary>
public sealed class PlanIntegrityException : Exception
{
    public PlanIntegrityException(string message)
        : base(message)
    {
    }

    public PlanIntegrityException()
        : this("the stored plan cannot be trusted")
    {
    }

    public PlanIntegrityException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// The one format every plan store writes: <c>PBPLAN1</c>, a flag byte (1 = AES-256-GCM), the SHA-256
/// of the plaintext, then the payload (summary length, summary, plan file) — encrypted with a fresh
/// 12-byte nonce and a 16-byte tag when a key is given. Plans hold secrets (terraform writes
/// sensitive values into them), so with PLANBOT_PLAN_KEY they never leave the machine in clear.
/// </summary>
public static class PlanEnvelope
{
    private static readonly byte[] Magic = "PBPLAN1"u8.ToArray();
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>PLANBOT_PLAN_KEY: 32 bytes, base64. Null when unset.</summary>
    /// <exception cref="ArgumentException">Set but not 32 bytes of base64.</exception>
    public static byte[]? KeyFrom(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        try
        {
            var key = Convert.FromBase64String(base64.Trim());
            return key.Length == 32 ? key : throw new ArgumentException($"PLANBOT_PLAN_KEY must be 32 bytes (base64); it is {key.Length} bytes. Make one with `openssl rand -base64 32`.");
        }
        catch (FormatException e)
        {
            throw new ArgumentException("PLANBOT_PLAN_KEY is not base64; make one with `openssl rand -base64 32`", e);
        }
    }

    public static byte[] Seal(StoredPlan plan, byte[]? key)
    {
        var summary = Encoding.UTF8.GetBytes(plan.SummaryJson);
        var payload = new byte[4 + summary.Length + plan.PlanFile.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload, summary.Length);
        summary.CopyTo(payload, 4);
        plan.PlanFile.CopyTo(payload, 4 + summary.Length);
        var hash = SHA256.HashData(payload);

        var header = Magic.Length + 1 + hash.Length;
        if (key is null)
        {
            var clear = new byte[header + payload.Length];
            Write(clear, 0, hash);
            payload.CopyTo(clear, header);
            return clear;
        }

        var sealedBytes = new byte[header + NonceSize + TagSize + payload.Length];
        Write(sealedBytes, 1, hash);
        var nonce = sealedBytes.AsSpan(header, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, payload, sealedBytes.AsSpan(header + NonceSize + TagSize), sealedBytes.AsSpan(header + NonceSize, TagSize), associatedData: hash);
        return sealedBytes;
    }

    /// <exception cref="PlanIntegrityException">Not an envelope, altered, or encrypted without the right key.</exception>
    public static StoredPlan Open(byte[] data, byte[]? key, string name)
    {
        var header = Magic.Length + 1 + 32;
        if (data.Length < header + 4 || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new PlanIntegrityException($"{name}: not a PlanBot plan object (truncated or overwritten); re-plan with `/planbot plan`");
        }

        var hash = data.AsSpan(Magic.Length + 1, 32).ToArray();
        byte[] payload;
        if (data[Magic.Length] == 1)
        {
            if (key is null)
            {
                throw new PlanIntegrityException($"{name}: the plan is encrypted; set PLANBOT_PLAN_KEY to the key it was planned with");
            }

            payload = new byte[data.Length - header - NonceSize - TagSize];
            try
            {
                using var aes = new AesGcm(key, TagSize);
                aes.Decrypt(data.AsSpan(header, NonceSize), data.AsSpan(header + NonceSize + TagSize), data.AsSpan(header + NonceSize, TagSize), payload, associatedData: hash);
            }
            catch (AuthenticationTagMismatchException e)
            {
                throw new PlanIntegrityException($"{name}: the encrypted plan does not decrypt: it was altered, or PLANBOT_PLAN_KEY is not the key it was planned with; re-plan with `/planbot plan`", e);
            }
        }
        else
        {
            payload = data[header..];
        }

        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(hash))
        {
            throw new PlanIntegrityException($"{name}: SHA-256 mismatch: the stored plan was altered after it was written; it will not be applied. Re-plan with `/planbot plan`");
        }

        var summaryLength = BinaryPrimitives.ReadInt32BigEndian(payload);
        if (summaryLength < 0 || summaryLength > payload.Length - 4)
        {
            throw new PlanIntegrityException($"{name}: damaged plan object; re-plan with `/planbot plan`");
        }

        return new StoredPlan(payload[(4 + summaryLength)..], Encoding.UTF8.GetString(payload, 4, summaryLength));
    }

    private static void Write(byte[] target, byte flag, byte[] hash)
    {
        Magic.CopyTo(target, 0);
        target[Magic.Length] = flag;
        hash.CopyTo(target, Magic.Length + 1);
    }
}
