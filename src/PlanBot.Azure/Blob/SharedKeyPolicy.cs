using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace PlanBot.Azure.Blob;

/// <summary>
/// Signs requests with a storage account key ("SharedKey" authorization, service version 2015-02-21
/// and later): HMAC-SHA256 over the verb, the standard headers, the canonical x-ms-* headers and
/// the canonical resource. Runs per retry, so every attempt carries a fresh x-ms-date.
/// </summary>
public sealed class SharedKeyPolicy(string account, string base64Key) : HttpPipelineSynchronousPolicy
{
    private readonly byte[] _key = Convert.FromBase64String(base64Key);

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        request.Headers.SetValue("x-ms-date", DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture));
        var toSign = StringToSign(request);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(toSign)));
        request.Headers.SetValue("Authorization", $"SharedKey {account}:{signature}");
    }

    private string StringToSign(Request request)
    {
        string Header(string name) => request.Headers.TryGetValue(name, out var value) ? value : "";
        var length = request.Content is { } content && content.TryComputeLength(out var n) && n > 0 ? n.ToString(CultureInfo.InvariantCulture) : "";
        var sb = new StringBuilder();
        sb.Append(request.Method.Method).Append('\n')
          .Append(Header("Content-Encoding")).Append('\n')
          .Append(Header("Content-Language")).Append('\n')
          .Append(length).Append('\n')
          .Append(Header("Content-MD5")).Append('\n')
          .Append(Header("Content-Type")).Append('\n')
          .Append('\n') // Date: x-ms-date is used instead
          .Append(Header("If-Modified-Since")).Append('\n')
          .Append(Header("If-Match")).Append('\n')
          .Append(Header("If-None-Match")).Append('\n')
          .Append(Header("If-Unmodified-Since")).Append('\n')
          .Append(Header("Range")).Append('\n');
        foreach (var header in request.Headers.Where(h => h.Name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
                     .Select(h => (Name: h.Name.ToLowerInvariant(), Value: h.Value.Trim())).OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            sb.Append(header.Name).Append(':').Append(header.Value).Append('\n');
        }

        var uri = request.Uri.ToUri();
        sb.Append('/').Append(account).Append(uri.AbsolutePath);
        var query = uri.Query.TrimStart('?');
        if (query.Length > 0)
        {
            foreach (var group in query.Split('&').Select(p => p.Split('=', 2)).GroupBy(p => Uri.UnescapeDataString(p[0]).ToLowerInvariant()).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                sb.Append('\n').Append(group.Key).Append(':').Append(string.Join(',', group.Select(p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "").Order(StringComparer.Ordinal)));
            }
        }

        return sb.ToString();
    }
}
