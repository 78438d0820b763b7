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

    public WebhookSignature(IEnumerable<string> secrets)
    {
        _secrets = [.. secrets.Where(s => s.Length > 0).Select(Encoding.UTF8.GetBytes)];
        if (_secrets.Length == 0)
        {
            throw new ArgumentException("PLANBOT_WEBHOOK_SECRET is required: set it to the secret configured on the GitHub webhook or App (several, comma-separated, while rotating)");
        }
    }

    /// <summary>PLANBOT_WEBHOOK_SECRET, comma-separated while rotating.</summary>
    public static WebhookSignature FromEnvironment(string? value) => new((value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    public bool IsValid(ReadOnlySpan<byte> body, string? header)
    {
        if (header is null || !header.StartsWith("sha256=", StringComparison.Ordinal) || header.Length != 7 + 64)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[32];
        try
        {
            if (Convert.FromHexString(header.AsSpan(7), given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            {
                return false;
            }
        }
        catch (FormatException)
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
