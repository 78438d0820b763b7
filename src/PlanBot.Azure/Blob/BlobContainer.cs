using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace PlanBot.Azure.Blob;

/// <summary>How PlanBot authenticates to Blob Storage: an account key, or any Azure.Identity credential.</summary>
public abstract record BlobAuth
{
    public sealed record SharedKey(string Account, string Key) : BlobAuth;

    public sealed record Token(TokenCredential Credential) : BlobAuth;
}

/// <summary>A blob read back: its bytes and ETag.</summary>
public sealed record BlobObject(byte[] Content, ETag ETag);

/// <summary>A blob as a listing shows it: its name and metadata.</summary>
public sealed record BlobListing(string Name, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The few Blob Storage operations PlanBot needs, on one container, over Azure.Core's HttpPipeline
/// (retries with backoff on 5xx and throttling come from the pipeline). Conditional writes answer
/// false instead of throwing when their condition fails (412, or 409 for a lease).
/// </summary>
public sealed class BlobContainer
{
    public const string ServiceVersion = "2021-08-06";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _container;

    public BlobContainer(Uri serviceEndpoint, string container, BlobAuth auth)
    {
        _container = new Uri(serviceEndpoint.ToString().TrimEnd('/') + "/" + container);
        HttpPipelinePolicy policy = auth switch
        {
            BlobAuth.SharedKey key => new SharedKeyPolicy(key.Account, key.Key),
            BlobAuth.Token token => new BearerTokenAuthenticationPolicy(token.Credential, "https://storage.azure.com/.default"),
            _ => throw new ArgumentOutOfRangeException(nameof(auth)),
        };
        _pipeline = HttpPipelineBuilder.Build(new Options(), policy);
    }

    public string Name => _container.Segments[^1];

    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken)
    {
        using var message = Message(RequestMethod.Put, null, "restype=container");
        await SendAsync(message, cancellationToken, 201, 409).ConfigureAwait(false);
    }

    public async Task<BlobObject?> GetAsync(string blob, CancellationToken cancellationToken)
    {
        using var message = Message(RequestMethod.Get, blob);
        message.BufferResponse = true;
        var response = await SendAsync(message, cancellationToken, 200, 404).ConfigureAwait(false);
        return response.Status == 404 ? null : new BlobObject(response.Content.ToArray(), ETagOf(response));
    }

    /// <summary>Writes a block blob; <paramref name="ifMatch"/> null with <paramref name="createOnly"/> means If-None-Match: *. Null when the condition failed.</summary>
    /// <param name="metadata">Name/value pairs (lowercase ASCII names, ASCII values) that <see cref="ListAsync"/> returns without reading the blob.</param>
    public async Task<ETag?> PutAsync(string blob, byte[] content, bool createOnly, ETag? ifMatch, string? leaseId, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var message = Message(RequestMethod.Put, blob);
        message.Request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
        message.Request.Headers.SetValue("Content-Type", "application/octet-stream");
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
        {
            message.Request.Headers.SetValue("x-ms-meta-" + name, value);
        }

        Conditions(message.Request, createOnly, ifMatch, leaseId);
        message.Request.Content = RequestContent.Create(content);
        var response = await SendAsync(message, cancellationToken, 201, 409, 412).ConfigureAwait(false);
        return response.Status == 201 ? ETagOf(response) : null;
    }

    /// <summary>Deletes a blob (only at <paramref name="ifMatch"/> when given); false when the condition failed or it is gone.</summary>
    public async Task<bool> DeleteAsync(string blob, ETag? ifMatch, string? leaseId, CancellationToken cancellationToken)
    {
        using var message = Message(RequestMethod.Delete, blob);
        Conditions(message.Request, false, ifMatch, leaseId);
        var response = await SendAsync(message, cancellationToken, 202, 404, 409, 412).ConfigureAwait(false);
        return response.Status == 202;
    }

    /// <summary>The blobs under a prefix with their metadata, all pages.</summary>
    public async Task<IReadOnlyList<BlobListing>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        var names = new List<BlobListing>();
        string? marker = null;
        do
        {
            var query = $"restype=container&comp=list&include=metadata&prefix={Uri.EscapeDataString(prefix)}" + (marker is null ? "" : $"&marker={Uri.EscapeDataString(marker)}");
            using var message = Message(RequestMethod.Get, null, query);
            message.BufferResponse = true;
            var response = await SendAsync(message, cancellationToken, 200).ConfigureAwait(false);
            var xml = XDocument.Parse(response.Content.ToString());
            names.AddRange(xml.Descendants("Blob")
                .Where(b => b.Element("Name") is not null)
                .Select(b => new BlobListing((string)b.Element("Name")!, b.Element("Metadata")?.Elements().ToDictionary(e => e.Name.LocalName.ToLowerInvariant(), e => e.Value, StringComparer.Ordinal) ?? [])));
            marker = (string?)xml.Root?.Element("NextMarker") is { Length: > 0 } next ? next : null;
        }
        while (marker is not null);

        return names;
    }

    /// <summary>x-ms-lease-action acquire/renew/release with our own lease id; false when another lease holds the blob (409).</summary>
    public async Task<bool> LeaseAsync(string blob, string action, string leaseId, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var message = Message(RequestMethod.Put, blob, "comp=lease");
        message.Request.Headers.SetValue("x-ms-lease-action", action);
        if (action == "acquire")
        {
            message.Request.Headers.SetValue("x-ms-lease-duration", ((int)duration.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
            message.Request.Headers.SetValue("x-ms-proposed-lease-id", leaseId);
        }
        else
        {
            message.Request.Headers.SetValue("x-ms-lease-id", leaseId);
        }

        var response = await SendAsync(message, cancellationToken, 200, 201, 409, 412).ConfigureAwait(false);
        return response.Status is 200 or 201;
    }

    private static void Conditions(Request request, bool createOnly, ETag? ifMatch, string? leaseId)
    {
        if (createOnly)
        {
            request.Headers.SetValue("If-None-Match", "*");
        }

        if (ifMatch is { } etag)
        {
            request.Headers.SetValue("If-Match", etag.ToString("H"));
        }

        if (leaseId is not null)
        {
            request.Headers.SetValue("x-ms-lease-id", leaseId);
        }
    }

    private static ETag ETagOf(Response response) =>
        response.Headers.TryGetValue("ETag", out var etag) ? new ETag(etag) : throw new RequestFailedException(response.Status, "Blob Storage answered without an ETag");

    private HttpMessage Message(RequestMethod method, string? blob, string? query = null)
    {
        var message = _pipeline.CreateMessage();
        var uri = new RequestUriBuilder();
        uri.Reset(_container);
        if (blob is not null)
        {
            uri.AppendPath("/" + string.Join('/', blob.Split('/').Select(Uri.EscapeDataString)), escape: false);
        }

        if (query is not null)
        {
            uri.Query = "?" + query;
        }

        message.Request.Method = method;
        message.Request.Uri = uri;
        message.Request.Headers.SetValue("x-ms-version", ServiceVersion);
        return message;
    }

    private async Task<Response> SendAsync(HttpMessage message, CancellationToken cancellationToken, params int[] expected)
    {
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (!expected.Contains(response.Status))
        {
            var code = response.Headers.TryGetValue("x-ms-error-code", out var c) ? c : "";
            throw new RequestFailedException(response.Status, $"Blob Storage {message.Request.Method} {Name}: HTTP {response.Status} {code} {response.ReasonPhrase}".TrimEnd());
        }

        return response;
    }

    private sealed class Options : ClientOptions;
}
