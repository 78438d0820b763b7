using System.Security.Cryptography;
using System.Text;

namespace PlanBot.GitHub.Webhooks;

/// <summary>
/// Verifies <c>X-Hub-Signature-256</c> (<c>sha256=</c> + hex HMAC-SHA256 of the raw body) in constant
/// time against any of the configured secrets, so a secret can be rotated without dropping deliveries.
/// </summary>
public sealed class WebhookSignature
{
    private readonly byte[][] _secrets;
    private readonly string[] _texts;

    public WebhookSignature(IEnumerable<string> secrets)
    {
        _texts = [.. secrets.Where(s => s.Length > 0)];
        _secrets = [.. _texts.Select(Encoding.UTF8.GetBytes)];
        if (_secrets.Length == 0)
        {
            throw new ArgumentException("PLANBOT_WEBHOOK_SECRET is required: set it to the secret configured on the GitHub webhook or App (several, comma-separated, while rotating)");
        }
    }

    /// <summary>PLANBOT_WEBHOOK_SECRET, comma-separated while rotating.</summary>
    public static WebhookSignature FromEnvironment(string? value) => new((value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The secrets as configured, in order (the service hands the matching one on to Octokit.Webhooks).</summary>
    public IReadOnlyList<string> Secrets => _texts;

    /// <summary>Whether the header has the shape of a signature at all (checked before any of the body is read).</summary>
    public static bool IsWellFormed(string? header)
    {
        Span<byte> given = stackalloc byte[32];
        return TryDecode(header, given);
    }

    private static bool TryDecode(string? header, Span<byte> given)
    {
        if (header is null || !header.StartsWith("sha256=", StringComparison.Ordinal) || header.Length != 7 + 64)
        {
            return false;
        }

        try
        {
            return Convert.FromHexString(header.AsSpan(7), given, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>An HMAC per secret fed as the body streams in, so nothing needs the whole body in memory to verify it.</summary>
    public Streaming Begin() => new(this);

    public sealed class Streaming : IDisposable
    {
        private readonly IncrementalHash[] _hashes;

        internal Streaming(WebhookSignature owner) => _hashes = [.. owner._secrets.Select(s => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, s))];

        public void Append(ReadOnlySpan<byte> chunk)
        {
            foreach (var hash in _hashes)
            {
                hash.AppendData(chunk);
            }
        }

        /// <summary>The index of the secret the header was made with, or -1; every secret is compared (fixed time, no early exit).</summary>
        public int Match(string? header)
        {
            Span<byte> given = stackalloc byte[32];
            if (!TryDecode(header, given))
            {
                return -1;
            }

            Span<byte> expected = stackalloc byte[32];
            var match = -1;
            for (var i = 0; i < _hashes.Length; i++)
            {
                _hashes[i].GetHashAndReset(expected);
                if (CryptographicOperations.FixedTimeEquals(expected, given) && match < 0)
                {
                    match = i;
                }
            }

            return match;
        }

        public void Dispose()
        {
            foreach (var hash in _hashes)
            {
                hash.Dispose();
            }
        }
    }

    public bool IsValid(ReadOnlySpan<byte> body, string? header)
    {
        Span<byte> given = stackalloc byte[32];
        if (!TryDecode(header, given))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        var valid = false;
        foreach (var secret in _secrets)
        {
            HMACSHA256.HashData(secret, body, expected);
            valid |= CryptographicOperations.FixedTimeEquals(expected, given); // no early exit: timing says nothing about which secret
        }

        return valid;
    }
}
