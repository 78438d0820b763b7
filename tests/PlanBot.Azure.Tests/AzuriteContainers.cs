using PlanBot.Azure.Blob;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

internal static class AzuriteContainers
{
    /// <summary>A fresh container on azurite, with SharedKey auth as against a real account.</summary>
    public static BlobContainer Create()
    {
        var container = new BlobContainer(new Uri(TestServers.Azurite), "c" + Guid.NewGuid().ToString("N")[..20], new BlobAuth.SharedKey(TestServers.AzuriteAccount, TestServers.AzuriteKey));
        container.CreateIfNotExistsAsync(CancellationToken.None).GetAwaiter().GetResult();
        return container;
    }
}
