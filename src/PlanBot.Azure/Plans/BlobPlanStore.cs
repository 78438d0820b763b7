using Azure.Storage.Blobs;
using PlanBot.Azure.Blob;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;

namespace PlanBot.Azure.Plans;

/// <summary>
/// The <c>azure</c> plan store: one sealed blob per plan under <c>plans/</c> (Blob Storage encrypts at rest itself),
/// bound to its <see cref="PlanKey"/> like the other stores: a blob copied over another PR's, head's or project's is refused.
/// </summary>
public sealed class BlobPlanStore(BlobContainerClient container, byte[]? key) : IPlanStore
{
    public async Task PutAsync(PlanKey planKey, StoredPlan plan, CancellationToken cancellationToken) =>
        await container.WriteAsync(BlobName(planKey), PlanEnvelope.Seal(plan, key, planKey), createOnly: false, null, null, cancellationToken).ConfigureAwait(false);

    public async Task<StoredPlan?> GetAsync(PlanKey planKey, CancellationToken cancellationToken) =>
        await container.ReadAsync(BlobName(planKey), cancellationToken).ConfigureAwait(false) is { } blob
            ? PlanEnvelope.Open(blob.Content, key, $"{container.Name}/{BlobName(planKey)}", planKey)
            : null;

    public async Task<int> DeletePullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var blob in await container.ListAsync("plans/" + new PlanKey(repo, pullRequest, "x", "x").PullRequestPrefix, cancellationToken).ConfigureAwait(false))
        {
            deleted += await container.DeleteAsync(blob.Name, null, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }

        return deleted;
    }

    public static string BlobName(PlanKey planKey) => "plans/" + planKey.Name;
}
