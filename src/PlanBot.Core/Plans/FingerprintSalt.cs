using System.Security.Cryptography;
using System.Text;

namespace PlanBot.Core.Plans;

/// <summary>
/// The key sensitive values are hashed with (HMAC-SHA256) before they enter a content fingerprint.
/// Fingerprints are stored where people can read them (lock records, the PR comment's metadata), and
/// a plain hash of a short secret is a dictionary lookup away from the secret; keyed by a salt that
/// never leaves PlanBot, it is not. Per repository, so equal secrets in two repositories give
/// unrelated hashes. Changing the salt (e.g. rotating PLANBOT_PLAN_KEY) changes the fingerprint of
/// every plan holding a sensitive value, and such plans then need a new approval.
/// </summary>
public sealed class FingerprintSalt
{
    private readonly byte[] key;

    public FingerprintSalt(ReadOnlySpan<byte> key) => this.key = key.ToArray();

    /// <summary>
    /// No secret: sensitive values are still never in the clear, but their hashes only resist a
    /// dictionary attack as well as the rest of the plan is unknown to the attacker. For reading a
    /// plan outside a repository's workflows (render, tests).
    /// </summary>
    public static FingerprintSalt None { get; } = new([]);

    /// <summary>
    /// The salt of one repository (owner/name, case-insensitive as GitHub's are): HMAC-SHA256 of its
    /// name keyed by <paramref name="secret"/> (the plan key). Without a secret it is derived from the
    /// name alone: distinct per repository, but public.
    /// </summary>
    public static FingerprintSalt For(string repository, ReadOnlySpan<byte> secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        var name = Encoding.UTF8.GetBytes("planbot fingerprint salt v2\n" + repository.Trim().ToLowerInvariant());
        return new FingerprintSalt(HMACSHA256.HashData(secret, name));
    }

    /// <summary>HMAC-SHA256 of one sensitive value's digest: what the fingerprint holds in its place.</summary>
    internal byte[] Hash(ReadOnlySpan<byte> valueDigest) => HMACSHA256.HashData(key, valueDigest);

    /// <summary>The size of <see cref="Hash(ReadOnlySpan{byte})"/>.</summary>
    internal const int HashSize = HMACSHA256.HashSizeInBytes;

    /// <summary><see cref="Hash(ReadOnlySpan{byte})"/> written into <paramref name="destination"/>; the bytes written.</summary>
    internal int Hash(ReadOnlySpan<byte> valueDigest, Span<byte> destination) => HMACSHA256.HashData(key, valueDigest, destination);
}
