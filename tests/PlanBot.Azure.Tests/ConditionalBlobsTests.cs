using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using PlanBot.Azure.Blob;
using PlanBot.Azure.Locks;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Azure.Tests;

/// <summary>The SDK's ways of saying "the condition failed" become answers, and everything else stays an error.</summary>
public sealed class ConditionalBlobsTests
{
    private readonly BlobContainerClient _container = AzuriteContainers.Create();

    [Fact]
    public async Task A_create_only_write_on_an_existing_blob_answers_null_though_the_sdk_says_409_BlobAlreadyExists()
    {
        var first = await _container.WriteAsync("b", [1], createOnly: true, null, null, CancellationToken.None);
        first.ShouldNotBeNull();
        (await _container.WriteAsync("b", [2], createOnly: true, null, null, CancellationToken.None)).ShouldBeNull();
        (await _container.ReadAsync("b", CancellationToken.None)).ShouldNotBeNull().Content.ShouldBe(new byte[] { 1 });
    }

    [Fact]
    public async Task A_write_at_a_stale_etag_answers_null_and_at_the_current_one_succeeds()
    {
        var stale = (await _container.WriteAsync("b", [1], createOnly: true, null, null, CancellationToken.None)).ShouldNotBeNull();
        var current = (await _container.WriteAsync("b", [2], createOnly: false, stale, null, CancellationToken.None)).ShouldNotBeNull();
        (await _container.WriteAsync("b", [3], createOnly: false, stale, null, CancellationToken.None)).ShouldBeNull();
        (await _container.WriteAsync("b", [4], createOnly: false, current, null, CancellationToken.None)).ShouldNotBeNull();
        (await _container.ReadAsync("b", CancellationToken.None)).ShouldNotBeNull().Content.ShouldBe(new byte[] { 4 });
    }

    [Fact]
    public async Task A_conditional_delete_of_a_blob_already_gone_answers_false_though_the_sdk_says_412()
    {
        var etag = (await _container.WriteAsync("b", [1], createOnly: true, null, null, CancellationToken.None)).ShouldNotBeNull();
        (await _container.DeleteAsync("b", etag, CancellationToken.None)).ShouldBeTrue();
        (await _container.DeleteAsync("b", etag, CancellationToken.None)).ShouldBeFalse();
        (await _container.DeleteAsync("b", null, CancellationToken.None)).ShouldBeFalse();
    }

    [Fact]
    public async Task A_delete_at_a_stale_etag_leaves_the_blob()
    {
        var stale = (await _container.WriteAsync("b", [1], createOnly: true, null, null, CancellationToken.None)).ShouldNotBeNull();
        await _container.WriteAsync("b", [2], createOnly: false, null, null, CancellationToken.None);
        (await _container.DeleteAsync("b", stale, CancellationToken.None)).ShouldBeFalse();
        (await _container.ReadAsync("b", CancellationToken.None)).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_leased_blob_is_written_only_under_its_lease_and_leased_by_one_id_at_a_time()
    {
        var (mine, theirs) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        await _container.WriteAsync("b", [], createOnly: true, null, null, CancellationToken.None);
        (await _container.LeaseAsync("b", LeaseAction.Acquire, mine, TimeSpan.FromSeconds(30.9), CancellationToken.None)).ShouldBeTrue();
        (await _container.LeaseAsync("b", LeaseAction.Acquire, theirs, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeFalse();
        (await _container.LeaseAsync("b", LeaseAction.Renew, theirs, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeFalse();
        (await _container.WriteAsync("b", [1], createOnly: false, null, null, CancellationToken.None)).ShouldBeNull();
        (await _container.WriteAsync("b", [1], createOnly: false, null, theirs, CancellationToken.None)).ShouldBeNull();
        (await _container.WriteAsync("b", [1], createOnly: false, null, mine, CancellationToken.None)).ShouldNotBeNull();
        (await _container.LeaseAsync("b", LeaseAction.Renew, mine, TimeSpan.FromSeconds(30), CancellationToken.None)).ShouldBeTrue();
        (await _container.LeaseAsync("b", LeaseAction.Release, mine, TimeSpan.Zero, CancellationToken.None)).ShouldBeTrue();
        (await _container.LeaseAsync("b", LeaseAction.Acquire, theirs, TimeSpan.FromSeconds(15), CancellationToken.None)).ShouldBeTrue();
    }

    [Fact]
    public async Task Listing_a_prefix_returns_its_blobs_with_their_metadata_and_no_others()
    {
        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => _container.WriteAsync($"p/{i:D2}", [], false, null, null, CancellationToken.None, new Dictionary<string, string> { ["planbotrepo"] = $"r{i}" })));
        await _container.WriteAsync("q/other", [], false, null, null, CancellationToken.None);

        var listed = await _container.ListAsync("p/", CancellationToken.None);

        listed.Select(b => (b.Name, b.Metadata["planbotrepo"])).ShouldBe(Enumerable.Range(0, 12).Select(i => ($"p/{i:D2}", $"r{i}")));
    }

    [Fact]
    public async Task A_missing_container_is_an_error_that_names_it_and_the_fix_not_a_missing_blob()
    {
        var missing = new BlobContainerClient(new Uri($"{TestServers.Azurite}/nosuchcontainer"), new StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey));

        var read = await Should.ThrowAsync<InvalidOperationException>(() => missing.ReadAsync("b", CancellationToken.None));
        var written = await Should.ThrowAsync<InvalidOperationException>(() => missing.WriteAsync("b", [], true, null, null, CancellationToken.None));

        read.Message.ShouldContain("'nosuchcontainer' does not exist");
        written.Message.ShouldContain("az storage container create --account-name devstoreaccount1 --name nosuchcontainer");
    }
}

/// <summary>Locks written over the SDK keep the stored format of before, so existing locks still read and new ones read in older PlanBots.</summary>
public sealed class BlobLockFormatTests
{
    [Fact]
    public async Task A_project_lock_is_the_same_blob_name_json_content_type_and_metadata_as_before()
    {
        var container = AzuriteContainers.Create();
        var key = new LockKey(LockKind.Project, "acme/infra", "envs/prod", "default");
        await new BlobLockStore(container, TimeProvider.System).AcquireAsync(key, new("acme/infra", 7, "abc", "alice", "run-1"), TimeSpan.FromDays(1), CancellationToken.None);
        var name = "locks/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.Id)))[..40];

        var blob = container.GetBlobClient(name);
        var properties = (await blob.GetPropertiesAsync()).Value;
        using var json = JsonDocument.Parse((await blob.DownloadContentAsync()).Value.Content);

        properties.ContentType.ShouldBe("application/octet-stream");
        properties.BlobType.ShouldBe(BlobType.Block);
        properties.Metadata.ShouldBe(new Dictionary<string, string> { ["planbotrepo"] = "acme/infra" });
        json.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(["Kind", "Repo", "Dir", "Workspace", "OwnerRepo", "PullRequest", "HeadSha", "User", "RunId", "Since", "Expires", "Approvals"]);
        json.RootElement.GetProperty("Kind").GetString().ShouldBe("Project");
        json.RootElement.GetProperty("Dir").GetString().ShouldBe("envs/prod");
        json.RootElement.GetProperty("PullRequest").GetInt32().ShouldBe(7);
    }
}
