using System.Buffers.Binary;
using System.IO.Compression;
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
/// The one format every plan store writes: <c>PBPLAN1</c>, a flag byte, the SHA-256 of the plaintext
/// payload (summary length, summary, plan file), then the body: the payload, Brotli-compressed when
/// that makes it smaller (flag 2; plan JSON shrinks ~10×, terraform's zipped plan files little), and
/// encrypted with AES-256-GCM under a fresh 12-byte nonce and a 16-byte tag when a key is given
/// (flag 1). Plans hold secrets (terraform writes sensitive values into them), so with
/// PLANBOT_PLAN_KEY they never leave the machine in clear. Sealed for a <see cref="PlanKey"/>
/// (flag 4), the checksum also covers the key's name: an object copied over another PR's, head's or
/// project's is refused instead of applied there (with a plan key, even by someone who can write to
/// the bucket: the checksum is then authenticated by the cipher).
/// </summary>
public static class PlanEnvelope
{
    private static readonly byte[] Magic = "PBPLAN1"u8.ToArray();
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HashSize = 32;
    private const byte Encrypted = 1;
    private const byte Compressed = 2;
    private const byte Bound = 4;
    private const int Header = 7 + 1 + HashSize;

    /// <summary>The largest payload PlanBot opens: a corrupt or hostile length never allocates more.</summary>
    public const long MaxPayloadBytes = 1L << 30;

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

    /// <summary>Seals a plan without binding it to where it is stored (prefer <see cref="Seal(StoredPlan, byte[], PlanKey)"/>).</summary>
    public static byte[] Seal(StoredPlan plan, byte[]? key) => Seal(plan, key, binding: null);

    /// <summary>Seals a plan for the object <paramref name="binding"/> names: opening it under another key fails.</summary>
    public static byte[] Seal(StoredPlan plan, byte[]? key, PlanKey? binding)
    {
        var summary = Encoding.UTF8.GetBytes(plan.SummaryJson);
        var payload = new byte[4 + summary.Length + plan.PlanFile.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload, summary.Length);
        summary.CopyTo(payload, 4);
        plan.PlanFile.CopyTo(payload, 4 + summary.Length);
        var hash = Checksum(payload, binding);

        var flags = (byte)(binding is null ? 0 : Bound);
        var body = Compress(payload);
        if (body is null)
        {
            body = payload;
        }
        else
        {
            flags |= Compressed;
        }

        if (key is null)
        {
            var clear = new byte[Header + body.Length];
            Write(clear, flags, hash);
            body.CopyTo(clear, Header);
            return clear;
        }

        flags |= Encrypted;
        var sealedBytes = new byte[Header + NonceSize + TagSize + body.Length];
        Write(sealedBytes, flags, hash);
        var nonce = sealedBytes.AsSpan(Header, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, body, sealedBytes.AsSpan(Header + NonceSize + TagSize), sealedBytes.AsSpan(Header + NonceSize, TagSize), associatedData: hash);
        return sealedBytes;
    }

    /// <summary>Opens an object sealed without a binding (prefer <see cref="Open(byte[], byte[], string, PlanKey)"/>).</summary>
    /// <exception cref="PlanIntegrityException">Not an envelope, altered, or encrypted without the right key.</exception>
    public static StoredPlan Open(byte[] data, byte[]? key, string name) => Open(data, key, name, binding: null);

    /// <summary>Opens an object read from where <paramref name="binding"/> says; <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="PlanIntegrityException">Not an envelope, altered, moved from another key, or encrypted without the right key.</exception>
    public static StoredPlan Open(byte[] data, byte[]? key, string name, PlanKey? binding)
    {
        if (data.Length < Header || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic) || (data[Magic.Length] & ~(Encrypted | Compressed | Bound)) != 0)
        {
            throw new PlanIntegrityException($"{name}: not a PlanBot plan object (truncated or overwritten); re-plan with `/planbot plan`");
        }

        var flags = data[Magic.Length];
        var hash = data.AsSpan(Magic.Length + 1, HashSize).ToArray();
        byte[] body;
        if ((flags & Encrypted) != 0)
        {
            if (key is null)
            {
                throw new PlanIntegrityException($"{name}: the plan is encrypted; set PLANBOT_PLAN_KEY to the key it was planned with");
            }

            if (data.Length < Header + NonceSize + TagSize)
            {
                throw new PlanIntegrityException($"{name}: the encrypted plan is truncated; re-plan with `/planbot plan`");
            }

            body = new byte[data.Length - Header - NonceSize - TagSize];
            try
            {
                using var aes = new AesGcm(key, TagSize);
                aes.Decrypt(data.AsSpan(Header, NonceSize), data.AsSpan(Header + NonceSize + TagSize), data.AsSpan(Header + NonceSize, TagSize), body, associatedData: hash);
            }
            catch (AuthenticationTagMismatchException e)
            {
                throw new PlanIntegrityException($"{name}: the encrypted plan does not decrypt: it was altered, or PLANBOT_PLAN_KEY is not the key it was planned with; re-plan with `/planbot plan`", e);
            }
        }
        else if (key is not null)
        {
            // With a key every object PlanBot writes is encrypted: one in clear was written without the key or
            // put there by someone who can write the store, whose recomputed SHA-256 would otherwise pass.
            throw new PlanIntegrityException($"{name}: the plan is stored in clear but PLANBOT_PLAN_KEY is set: it was written without the key, or replaced by someone who can write the store; it will not be applied. Re-plan with `/planbot plan`");
        }
        else
        {
            body = data[Header..];
        }

        var payload = (flags & Compressed) != 0 ? Decompress(body, name) : body;
        if ((flags & Bound) != 0 && binding is null)
        {
            throw new PlanIntegrityException($"{name}: the plan was sealed for one pull request, head and project, and this store does not say which it reads; update PlanBot");
        }

        if (!Checksum(payload, (flags & Bound) != 0 ? binding : null).AsSpan().SequenceEqual(hash))
        {
            throw new PlanIntegrityException($"{name}: SHA-256 mismatch: the stored plan was altered after it was written, or copied from another pull request, head or project; it will not be applied. Re-plan with `/planbot plan`");
        }

        var summaryLength = payload.Length < 4 ? -1 : BinaryPrimitives.ReadInt32BigEndian(payload);
        if (summaryLength < 0 || summaryLength > payload.Length - 4)
        {
            throw new PlanIntegrityException($"{name}: damaged plan object; re-plan with `/planbot plan`");
        }

        return new StoredPlan(payload[(4 + summaryLength)..], Encoding.UTF8.GetString(payload, 4, summaryLength));
    }

    /// <summary>SHA-256 of the payload, preceded by the key's name when bound (a NUL cannot occur in a name).</summary>
    private static byte[] Checksum(byte[] payload, PlanKey? binding)
    {
        if (binding is null)
        {
            return SHA256.HashData(payload);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(binding.Name + "\0"));
        hash.AppendData(payload);
        return hash.GetHashAndReset();
    }

    /// <summary>8-byte length, then Brotli (quality 5: ~10× on plan JSON in tens of milliseconds); null when that is not smaller.</summary>
    private static byte[]? Compress(byte[] payload)
    {
        var target = new byte[8 + BrotliEncoder.GetMaxCompressedLength(payload.Length)];
        BinaryPrimitives.WriteInt64BigEndian(target, payload.Length);
        if (!BrotliEncoder.TryCompress(payload, target.AsSpan(8), out var written, quality: 5, window: 22) || 8 + written >= payload.Length)
        {
            return null;
        }

        return target[..(8 + written)];
    }

    private static byte[] Decompress(byte[] body, string name)
    {
        var length = body.Length < 8 ? -1 : BinaryPrimitives.ReadInt64BigEndian(body);
        if (length < 0 || length > MaxPayloadBytes)
        {
            throw new PlanIntegrityException($"{name}: damaged plan object (compressed length {length}); re-plan with `/planbot plan`");
        }

        var payload = new byte[length];
        if (!BrotliDecoder.TryDecompress(body.AsSpan(8), payload, out var written) || written != length)
        {
            throw new PlanIntegrityException($"{name}: the compressed plan does not decompress: it was altered after it was written; re-plan with `/planbot plan`");
        }

        return payload;
    }

    private static void Write(byte[] target, byte flags, byte[] hash)
    {
        Magic.CopyTo(target, 0);
        target[Magic.Length] = flags;
        hash.CopyTo(target, Magic.Length + 1);
    }
}
