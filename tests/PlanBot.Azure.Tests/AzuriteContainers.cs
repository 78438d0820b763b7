using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

internal static class AzuriteContainers
{
    /// <summary>A fresh container on azurite, with SharedKey auth as against a real account.</summary>
    public static BlobContainerClient Create()
    {
        var container = new BlobContainerClient(new Uri($"{TestServers.Azurite}/{Name()}"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey));
        container.CreateIfNotExists();
        return container;
    }

    /// <summary>A fresh container on the https azurite with OAuth, created with <paramref name="credential"/>'s bearer tokens over TLS pinned to the server's certificate.</summary>
    public static BlobContainerClient CreateWithToken(TokenCredential credential)
    {
        var container = WithToken(credential, TestServers.AzuriteOAuth.Certificate, Name());
        container.CreateIfNotExists();
        return container;
    }

    /// <summary>A client of the https azurite that trusts only <paramref name="pinned"/>; no retries when <paramref name="retries"/> is false, so refusals answer at once.</summary>
    public static BlobContainerClient WithToken(TokenCredential credential, X509Certificate2 pinned, string name, bool retries = true)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => LoopbackCertificate.IsPinned(pinned, presented as X509Certificate2);
        var options = new BlobClientOptions { Transport = new HttpClientTransport(handler) };
        if (!retries)
        {
            options.Retry.MaxRetries = 0;
        }

        return new BlobContainerClient(new Uri($"{TestServers.AzuriteOAuth.Endpoint}/{name}"), credential, options);
    }

    public static string Name() => "c" + Guid.NewGuid().ToString("N")[..20];
}
