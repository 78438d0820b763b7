using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Core.Ports;
using PlanBot.Local.Plans;
using PlanBot.Cli.Tests.Harness;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// The merge applies exactly what was approved (PRODUCT.md "Apply exactly what was approved",
/// "Dependents see new outputs"): `planbot run` with real git and terraform, the fake GitHub, and a
/// data dir kept from run to run (a self-hosted runner's disk: the local plan store survives), so a
/// plan stored at plan time is there at the merge.
/// </summary>
public sealed class MergeApplyTests() : ActionRunTests("planbot-merge-apply")
{
    private const string Db = "resource \"terraform_data\" \"db\" {\n  input            = var.size\n  triggers_replace = [\"GEN\", var.size]\n}\n";

    protected override Dictionary<string, string> Files => new()
    {
        ["network/main.tf"] = LocalBackend + Resource("vpc", "10.0.0.0/16") + Output("cidr", "terraform_data.vpc.output"),
        ["app/main.tf"] = LocalBackend + ReadsStateOf("../network") + Resource("svc", "${data.terraform_remote_state.upstream.outputs.cidr}"),
        ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen1", StringComparison.Ordinal),
        ["db/variables.tf"] = "variable \"size\" {\n  default = \"small\"\n}\n",
        ["planbot.yaml"] = "locks: { backend: local }\n",
    };

    protected override async Task ArrangeAsync()
    {
        _github.Permissions["carol"] = ("write", "maintain");
        foreach (var dir in new[] { "network", "app", "db" })
        {
            await _scenario.ApplyAsync(dir);
        }
    }

    private string DataDir => _dir.Combine("data");

    protected override string DataDirFor(string run) => DataDir; // a self-hosted runner's disk: kept from run to run

    private LocalPlanStore Store => new(Path.Combine(DataDir, "plans"), null);

    /// <summary>Plans, approves (when <paramref name="approve"/>) and returns the head; the plan must be stored (in <paramref name="store"/>, else the local store).</summary>
    private async Task<string> PlanAndApproveAsync(int pr, Dictionary<string, string> files, string project, bool approve = true, IPlanStore? store = null)
    {
        var head = await PushAsync(pr, files);
        var (code, errors) = await RunAsync("pull_request", PullRequestEvent(pr, "opened"));
        code.ShouldBe(0, errors);
        var key = new PlanKey("acme/infra", pr, head, project);
        (store is null ? File.Exists(Store.PathOf(key)) : await store.GetAsync(key, CancellationToken.None) is not null).ShouldBeTrue("the plan file is stored at plan time");
        if (approve)
        {
            (await RunAsync("issue_comment", CommentEvent(pr, "/planbot approve", "carol"))).Code.ShouldBe(0);
            _github.Statuses.Last().State.ShouldBe("success");
        }

        return head;
    }

    private const string PlanKeyValue = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // 32 bytes, a test key

    /// <summary>
    /// <c>plans.store: s3</c> (s3rver) or <c>azure</c> (azurite), set on main as policy, with a fresh
    /// bucket or container: the store as PlanBot opens it (with <paramref name="planKey"/> or none),
    /// and a way to flip one byte of a stored object where it lies.
    /// </summary>
    private async Task<(Func<string?, IPlanStore> Open, Func<PlanKey, Task> Alter)> RemoteStoreAsync(string kind)
    {
        var name = "plans-" + Guid.NewGuid().ToString("N")[..12];
        if (kind == "s3")
        {
            var credentials = new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER");
            var config = new Amazon.S3.AmazonS3Config
            {
                ServiceURL = TestServers.S3, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
                RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED,
            };
            var s3 = new Amazon.S3.AmazonS3Client(credentials, config);
            await s3.PutBucketAsync(name);
            _environment.Set("AWS_ACCESS_KEY_ID", "S3RVER");
            _environment.Set("AWS_SECRET_ACCESS_KEY", "S3RVER");
            await OnMainAsync("planbot.yaml", $"locks: {{ backend: local }}\nplans: {{ store: s3, s3: {{ bucket: {name}, region: us-east-1, endpoint: \"{TestServers.S3}\", sse: none }} }}\n");
            var options = new Aws.Plans.S3PlanStoreOptions { Bucket = name, ServerSideEncryption = null };
            return (key => new Aws.Plans.S3PlanStore(s3, options, Core.Plans.PlanEnvelope.KeyFrom(key)), async planKey =>
            {
                var objectKey = new Aws.Plans.S3PlanStore(s3, options, null).ObjectKey(planKey);
                using var response = await s3.GetObjectAsync(name, objectKey);
                var bytes = new MemoryStream();
                await response.ResponseStream.CopyToAsync(bytes);
                var altered = bytes.ToArray();
                altered[20] ^= 0x40;
                await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = name, Key = objectKey, InputStream = new MemoryStream(altered), UseChunkEncoding = false });
            });
        }

        var container = new global::Azure.Storage.Blobs.BlobContainerClient(new Uri($"{TestServers.Azurite}/{name}"), new global::Azure.Storage.StorageSharedKeyCredential(TestServers.AzuriteAccount, TestServers.AzuriteKey));
        await container.CreateAsync();
        _environment.Set("AZURE_STORAGE_KEY", TestServers.AzuriteKey);
        await OnMainAsync("planbot.yaml", $"locks: {{ backend: local }}\nplans: {{ store: azure, azure: {{ account: {TestServers.AzuriteAccount}, container: {name}, endpoint: \"{TestServers.Azurite}\" }} }}\n");
        return (key => new PlanBot.Azure.Plans.BlobPlanStore(container, Core.Plans.PlanEnvelope.KeyFrom(key)), async planKey =>
        {
            var blob = container.GetBlobClient(PlanBot.Azure.Plans.BlobPlanStore.BlobName(planKey));
            var altered = (await blob.DownloadContentAsync()).Value.Content.ToArray();
            altered[20] ^= 0x40;
            await blob.UploadAsync(new BinaryData(altered), overwrite: true);
        });
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task An_unchanged_approved_plan_is_applied_from_the_encrypted_file_in_the_remote_store_which_no_one_reads_without_the_key(string kind)
    {
        var (open, _) = await RemoteStoreAsync(kind);
        _environment.Set("PLANBOT_PLAN_KEY", PlanKeyValue);
        var store = open(PlanKeyValue);
        var head = await PlanAndApproveAsync(70, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen2", StringComparison.Ordinal) }, "db", store: store);
        var key = new PlanKey("acme/infra", 70, head, "db");
        File.Exists(Store.PathOf(key)).ShouldBeFalse("the plan went to the remote store, not the data dir");
        Core.Plans.StoredPlanSummary.Parse((await store.GetAsync(key, CancellationToken.None))!.SummaryJson)!.Project.ShouldBe("db");

        // without the key the object cannot be read: encrypted, and bound to its key
        var keyless = await Should.ThrowAsync<Core.Plans.PlanIntegrityException>(() => open(null).GetAsync(key, CancellationToken.None));
        keyless.Message.ShouldContain("the plan is encrypted; set PLANBOT_PLAN_KEY");
        await Should.ThrowAsync<Core.Plans.PlanIntegrityException>(() => open("HyAdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=").GetAsync(key, CancellationToken.None));

        var merge = await MergeAsync(70);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        _github.CommentsOn(70).Last().Body.ShouldContain("| `db` | ✅ applied from the stored plan: 0 added, 0 changed, 0 destroyed, 1 replaced |");
        State("db").ShouldContain("\"gen2\"");
        (await store.GetAsync(key, CancellationToken.None)).ShouldBeNull("the applied plan's file is deleted from the store");
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task A_plan_altered_in_the_remote_store_is_refused_by_its_checksum_and_a_matching_re_plan_is_applied(string kind)
    {
        var (open, alter) = await RemoteStoreAsync(kind);
        var head = await PlanAndApproveAsync(71, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen3", StringComparison.Ordinal) }, "db", store: open(null));
        await alter(new PlanKey("acme/infra", 71, head, "db"));

        var merge = await MergeAsync(71);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        var row = _github.CommentsOn(71).Last().Body.Split('\n').Single(l => l.StartsWith("| `db` |", StringComparison.Ordinal));
        row.ShouldContain("✅ applied from a re-plan (the stored plan was refused:");
        row.ShouldContain("SHA-256 mismatch");
        State("db").ShouldContain("\"gen3\"");
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task An_encrypted_stored_plan_is_not_read_by_a_merge_run_without_the_key_which_re_plans_instead(string kind)
    {
        var (open, _) = await RemoteStoreAsync(kind);
        _environment.Set("PLANBOT_PLAN_KEY", PlanKeyValue);
        await PlanAndApproveAsync(72, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen4", StringComparison.Ordinal) }, "db", store: open(PlanKeyValue));

        _environment.Set("PLANBOT_PLAN_KEY", null); // the apply job lost the secret
        var merge = await MergeAsync(72);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        var row = _github.CommentsOn(72).Last().Body.Split('\n').Single(l => l.StartsWith("| `db` |", StringComparison.Ordinal));
        row.ShouldContain("✅ applied from a re-plan (the stored plan was refused:");
        row.ShouldContain("the plan is encrypted; set PLANBOT_PLAN_KEY");
        State("db").ShouldContain("\"gen4\"");
    }

    /// <summary>
    /// Someone who can write the plan store (a fanned-out plan job running the PR's code, a leaked
    /// bucket credential) swaps the approved plan file for another valid plan of the same project,
    /// keeping the summary beside it and sealing the object again so its SHA-256 checks out: the merge
    /// derives the fingerprint from the file itself and refuses it, naming both; nothing is applied.
    /// </summary>
    [Theory]
    [InlineData("local")]
    [InlineData("s3")]
    public async Task A_stored_plan_swapped_for_another_plan_with_a_valid_checksum_is_refused_by_its_own_fingerprint_and_nothing_is_applied(string kind)
    {
        var store = kind == "local" ? Store : (await RemoteStoreAsync(kind)).Open(null);
        var head = await PlanAndApproveAsync(73, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen5", StringComparison.Ordinal) }, "db", store: store);
        var key = new PlanKey("acme/infra", 73, head, "db");
        var approved = (await store.GetAsync(key, CancellationToken.None))!;
        var recorded = Core.Plans.StoredPlanSummary.Parse(approved.SummaryJson)!.Fingerprint;

        // another valid plan of db (it would replace with "gen9"), made against the same state, sealed in the approved one's place
        var forged = _dir.Combine("forged");
        Directory.CreateDirectory(forged);
        foreach (var file in new[] { "variables.tf", "terraform.tfstate" })
        {
            File.Copy(Path.Combine(_scenario.Repo.Root, "db", file), Path.Combine(forged, file));
        }

        await File.WriteAllTextAsync(Path.Combine(forged, "main.tf"), LocalBackend + Db.Replace("GEN", "gen9", StringComparison.Ordinal));
        var context = new TerraformContext { WorkingDir = forged, LogFile = Path.Combine(forged, "terraform.log") };
        (await Scenario.Terraform.InitAsync(context, CancellationToken.None)).Ok.ShouldBeTrue();
        var forgedPlan = Path.Combine(forged, "forged.tfplan");
        (await Scenario.Terraform.PlanAsync(context, forgedPlan, CancellationToken.None)).Outcome.ShouldBe(TerraformOutcome.Changes);
        (await Scenario.Terraform.ShowJsonAsync(context, forgedPlan, Path.Combine(forged, "forged.json"), CancellationToken.None)).Ok.ShouldBeTrue();
        var forgedFingerprint = (await Core.Plans.PlanReader.ReadFileAsync(Path.Combine(forged, "forged.json"), Core.Plans.FingerprintSalt.For("acme/infra", []))).Fingerprint;
        forgedFingerprint.ShouldNotBe(recorded);
        await store.PutAsync(key, new StoredPlan(await File.ReadAllBytesAsync(forgedPlan), approved.SummaryJson), CancellationToken.None);
        (await store.GetAsync(key, CancellationToken.None))!.PlanFile.ShouldNotBe(approved.PlanFile, "the object now holds the other plan, and its checksum holds");

        var merge = await MergeAsync(73);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(1, errors);
        var result = _github.CommentsOn(73).Last().Body;
        var row = result.Split('\n').Single(l => l.StartsWith("| `db` |", StringComparison.Ordinal));
        row.ShouldContain("the stored plan file of `db` is not the approved plan", customMessage: result);
        row.ShouldContain($"its content fingerprint is `{Core.Plans.PlanFingerprint.Short(forgedFingerprint)}`, the approved one `{Core.Plans.PlanFingerprint.Short(recorded)}`");
        row.ShouldContain("nothing was applied");
        State("db").ShouldNotContain("gen9");
        State("db").ShouldNotContain("gen5");
        State("db").ShouldContain("\"gen1\"", customMessage: "nothing was applied");
    }

    [Fact]
    public async Task An_approved_replace_whose_size_changed_on_main_before_the_merge_is_held_back_naming_the_resource_and_attribute()
    {
        await PlanAndApproveAsync(50, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen2", StringComparison.Ordinal) }, "db");
        _github.CommentsOn(50)[0].Body.ShouldContain("will be **replaced**");

        // after the approval, the default branch changes the variable: the merged plan is "replace with size xlarge"
        await OnMainAsync("db/variables.tf", "variable \"size\" {\n  default = \"xlarge\"\n}\n");
        var merge = await MergeAsync(50);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);

        var result = _github.CommentsOn(50).Last().Body;
        result.ShouldContain("| `db` | ⏸️ held back: the plan of the merged commit differs from the one approved");
        result.ShouldContain("**`db`: what differs from the approved plan**");
        result.ShouldContain("- `terraform_data.db: input, triggers_replace[1]`", customMessage: result);
        State("db").ShouldContain("\"small\"", customMessage: "nothing was applied");
        State("db").ShouldNotContain("xlarge");
        File.Exists(Store.PathOf(new PlanKey("acme/infra", 50, merge, "db"))).ShouldBeTrue("the merged commit's plan waits for a new approval");
    }

    [Fact]
    public async Task An_unchanged_approved_plan_is_applied_from_the_stored_file_which_is_then_deleted()
    {
        var head = await PlanAndApproveAsync(51, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen2", StringComparison.Ordinal) }, "db");
        var stored = Store.PathOf(new PlanKey("acme/infra", 51, head, "db"));

        // main moves on elsewhere: db's inputs are byte-identical between the planned head and the merge
        await OnMainAsync("network/README.md", "unrelated\n");
        var merge = await MergeAsync(51);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);

        _github.CommentsOn(51).Last().Body.ShouldContain("| `db` | ✅ applied from the stored plan: 0 added, 0 changed, 0 destroyed, 1 replaced |");
        State("db").ShouldContain("\"gen2\"");
        File.Exists(stored).ShouldBeFalse("plan files are deleted after the apply");
    }

    [Fact]
    public async Task A_stored_plan_altered_in_the_store_is_refused_by_its_checksum_and_a_matching_re_plan_is_applied_instead()
    {
        var head = await PlanAndApproveAsync(52, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen3", StringComparison.Ordinal) }, "db");
        var stored = Store.PathOf(new PlanKey("acme/infra", 52, head, "db"));
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[20] ^= 0x40; // inside the recorded SHA-256
        await File.WriteAllBytesAsync(stored, bytes);

        var merge = await MergeAsync(52);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);

        var row = _github.CommentsOn(52).Last().Body.Split('\n').Single(l => l.StartsWith("| `db` |", StringComparison.Ordinal));
        row.ShouldContain("✅ applied from a re-plan (the stored plan was refused:");
        row.ShouldContain("SHA-256 mismatch");
        State("db").ShouldContain("\"gen3\"");
    }

    [Fact]
    public async Task With_apply_dependents_apply_a_remote_state_consumer_the_pr_did_not_touch_is_applied_after_its_upstream_and_nothing_drifts()
    {
        await OnMainAsync("planbot.yaml", "locks: { backend: local }\napply: { dependents: apply }\n");
        await PlanAndApproveAsync(53, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.9.0.0/16") + Output("cidr", "terraform_data.vpc.output") }, "network", approve: false);
        var merge = await MergeAsync(53);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);

        var result = _github.CommentsOn(53).Last().Body;
        result.ShouldContain("| `network` | ✅ applied from the stored plan: 0 added, 1 changed, 0 destroyed, 0 replaced |");
        result.ShouldContain("| `app` (reads `network`) | ✅ applied from a re-plan against the new state: 0 added, 1 changed, 0 destroyed, 0 replaced |");
        State("app").ShouldContain("10.9.0.0/16");

        // a drift check right after the merge finds nothing
        var drift = await _scenario.PlanHeadAsync(merge, ["network", "app"]);
        drift.Projects.Select(p => (p.Project.Name, p.Status)).ShouldBe([("network", Core.Runs.ProjectStatus.NoChanges), ("app", Core.Runs.ProjectStatus.NoChanges)]);
    }

    [Fact]
    public async Task By_default_dependents_are_planned_against_the_new_outputs_and_wait_for_an_approval_on_the_merged_pr()
    {
        await PlanAndApproveAsync(54, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.8.0.0/16") + Output("cidr", "terraform_data.vpc.output") }, "network", approve: false);
        var merge = await MergeAsync(54);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);

        var result = _github.CommentsOn(54).Last().Body;
        result.ShouldContain("| `app` (reads `network`) | 📝 planned, not applied: 0 to add, 1 to change, 0 to destroy, 0 to replace; planned (`apply.dependents: plan`) |");
        State("app").ShouldNotContain("10.8.0.0/16");

        // an approval on the merged PR applies the dependent's plan (stored for the merge commit) while the merge is main's head
        _environment.Set("GITHUB_SHA", merge);
        (code, errors) = await RunAsync("issue_comment", CommentEvent(54, "/planbot approve", "carol"));
        code.ShouldBe(0, errors);
        _github.CommentsOn(54).Last().Body.ShouldContain("| `app` | ✅ applied from the stored plan: 0 added, 1 changed, 0 destroyed, 0 replaced |");
        State("app").ShouldContain("10.8.0.0/16");
    }

    [Fact]
    public async Task Before_the_merge_the_plan_comment_lists_the_remote_state_readers_re_planned_after_their_upstream_and_the_merge_does_so()
    {
        // a second reader of network's state that no PR touches
        await OnMainAsync("cache/main.tf", LocalBackend + ReadsStateOf("../network") + Resource("c", "${data.terraform_remote_state.upstream.outputs.cidr}"));
        await _scenario.ApplyAsync("cache");
        await PlanAndApproveAsync(55, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.7.0.0/16") + Output("cidr", "terraform_data.vpc.output") }, "network", approve: false);

        var plan = _github.CommentsOn(55)[0].Body;
        plan.ShouldContain("**After the merge**, what reads a changed project is re-planned against its new state once it applies:\n" +
            "- after `network` applies: `app` (`terraform_remote_state.upstream`, not in this pull request), `cache` (`terraform_remote_state.upstream`, not in this pull request)\n", customMessage: plan);
        plan.ShouldContain("`apply.dependents: plan`");
        plan.ShouldNotContain("`db` (");

        var merge = await MergeAsync(55);
        var (code, errors) = await RunAsync("push", Push(merge));
        code.ShouldBe(0, errors);
        var result = _github.CommentsOn(55).Last().Body;
        result.ShouldContain("| `app` (reads `network`) | 📝 planned, not applied", customMessage: result);
        result.ShouldContain("| `cache` (reads `network`) | 📝 planned, not applied");
        result.ShouldNotContain("`db`");
    }

    [Fact]
    public async Task Planbot_apply_on_the_merged_pr_applies_the_waiting_dependents_for_a_user_whose_role_allows_it()
    {
        _github.Permissions["reader"] = ("read", "read");
        await PlanAndApproveAsync(56, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.6.0.0/16") + Output("cidr", "terraform_data.vpc.output") }, "network", approve: false);
        var merge = await MergeAsync(56);
        (await RunAsync("push", Push(merge))).Code.ShouldBe(0);
        _github.CommentsOn(56).Last().Body.ShouldContain("| `app` (reads `network`) | 📝 planned, not applied");
        _environment.Set("GITHUB_SHA", merge); // the Action's GITHUB_SHA of a comment event: the default branch's head

        // a reader may not apply: refused, naming the role, nothing applied
        var comments = _github.CommentsOn(56).Count;
        (await RunAsync("issue_comment", CommentEvent(56, "/planbot apply", "reader"))).Code.ShouldBe(0);
        _github.CommentsOn(56).Last().Body.ShouldContain("@reader `/planbot apply` needs the approver role");
        State("app").ShouldNotContain("10.6.0.0/16");

        // a selection would apply part of what waits, out of its dependency order: refused, nothing applied
        (await RunAsync("issue_comment", CommentEvent(56, "/planbot apply -p app", "carol"))).Code.ShouldBe(0);
        _github.CommentsOn(56).Last().Body.ShouldContain("@carol on a merged pull request `/planbot apply` applies everything its merge left waiting");
        State("app").ShouldNotContain("10.6.0.0/16");
        comments += 2;

        // an approver's /planbot apply applies app from the plan stored for the merge commit
        var (code, errors) = await RunAsync("issue_comment", CommentEvent(56, "/planbot apply", "carol"));
        code.ShouldBe(0, errors);
        var result = _github.CommentsOn(56).Last().Body;
        result.ShouldContain($"### PlanBot apply of `{merge[..7]}` (the merge of #56)", customMessage: result);
        result.ShouldContain("| `app` | ✅ applied from the stored plan: 0 added, 1 changed, 0 destroyed, 0 replaced |");
        State("app").ShouldContain("10.6.0.0/16");
        _github.CommentsOn(56).Count.ShouldBe(comments + 4); // the two commands, the refusal, the apply comment

        // nothing waits any more: a second /planbot apply says so
        (await RunAsync("issue_comment", CommentEvent(56, "/planbot apply", "carol"))).Code.ShouldBe(0);
        _github.CommentsOn(56).Last().Body.ShouldContain("nothing of this pull request's merge waits to be applied");
    }

    [Fact]
    public async Task Planbot_apply_on_a_merged_pr_is_refused_naming_the_newer_head_once_main_moved_on()
    {
        await PlanAndApproveAsync(57, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.5.0.0/16") + Output("cidr", "terraform_data.vpc.output") }, "network", approve: false);
        var merge = await MergeAsync(57);
        (await RunAsync("push", Push(merge))).Code.ShouldBe(0);
        await OnMainAsync("README.md", "moved on\n");
        var newer = (await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim();
        _environment.Set("GITHUB_SHA", newer);

        var (code, errors) = await RunAsync("issue_comment", CommentEvent(57, "/planbot apply", "carol"));
        code.ShouldBe(0, errors);
        var reply = _github.CommentsOn(57).Last().Body;
        reply.ShouldStartWith($"@carol not applied: the default branch has moved on to `{newer[..7]}` since the merge `{merge[..7]}`", customMessage: reply);
        reply.ShouldNotContain("planbot:apply"); // not an apply comment: the catch-up of later pushes must not read it as one
        State("app").ShouldNotContain("10.5.0.0/16");
    }

    /// <summary>
    /// The merge is main's head when `/planbot apply` starts; a newer merge lands while PlanBot is
    /// under way (held at its "applying" comment, after the first check): the head is asked again right
    /// before the project's apply, and nothing is applied.
    /// </summary>
    [Fact]
    public async Task Planbot_apply_on_a_merged_pr_applies_nothing_once_main_moved_on_between_the_check_and_the_apply()
    {
        await PlanAndApproveAsync(59, new() { ["network/main.tf"] = LocalBackend + Resource("vpc", "10.4.0.0/16") + Output("cidr", "terraform_data.vpc.output") }, "network", approve: false);
        var merge = await MergeAsync(59);
        (await RunAsync("push", Push(merge))).Code.ShouldBe(0);
        _github.CommentsOn(59).Last().Body.ShouldContain("| `app` (reads `network`) | 📝 planned, not applied");
        _environment.Set("GITHUB_SHA", merge);

        // a newer merge, made on the side: the checkout stays at this merge; origin/main is what the job fetched when it started
        await _scenario.Repo.GitAsync("checkout", "-q", "-b", "later", "main");
        _scenario.Repo.Write("README.md", "later\n");
        var later = await _scenario.Repo.CommitAsync("a later merge");
        await _scenario.Repo.GitAsync("checkout", "-q", "main");
        await _scenario.Repo.GitAsync("update-ref", "refs/remotes/origin/main", merge);

        var applying = _github.HoldNextComment(body => body.Contains("### PlanBot is applying", StringComparison.Ordinal));
        var run = RunAsync("issue_comment", CommentEvent(59, "/planbot apply", "carol"));
        await applying.Reached.Task.WaitAsync(TimeSpan.FromMinutes(3));
        await _scenario.Repo.GitAsync("update-ref", "refs/remotes/origin/main", later); // main moves on mid-run
        applying.Released.SetResult();
        var (code, errors) = await run;

        code.ShouldBe(0, errors);
        var result = _github.CommentsOn(59).Last().Body;
        result.ShouldContain($"| `app` | ❌ failed: not applied: the default branch has moved on to `{later[..7]}` since the merge `{merge[..7]}`", customMessage: result);
        State("app").ShouldNotContain("10.4.0.0/16");
    }

    [Fact]
    public async Task An_approval_of_a_held_back_plan_counts_on_githubs_clock_even_when_the_runners_clock_is_ahead()
    {
        _github.ClockSkew = TimeSpan.FromSeconds(-90); // GitHub's clock is behind the runner's
        await PlanAndApproveAsync(58, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen2", StringComparison.Ordinal) }, "db");
        await OnMainAsync("db/variables.tf", "variable \"size\" {\n  default = \"xlarge\"\n}\n");
        var merge = await MergeAsync(58);
        (await RunAsync("push", Push(merge))).Code.ShouldBe(0);
        _github.CommentsOn(58).Last().Body.ShouldContain("| `db` | ⏸️ held back");

        // approved right after the apply comment showed the new plan: before it on the runner's clock, not on GitHub's
        _environment.Set("GITHUB_SHA", merge);
        var (code, errors) = await RunAsync("issue_comment", CommentEvent(58, "/planbot approve", "carol"));
        code.ShouldBe(0, errors);
        var result = _github.CommentsOn(58).Last().Body;
        result.ShouldContain("| `db` | ✅ applied from the stored plan: 0 added, 0 changed, 0 destroyed, 1 replaced |", customMessage: result);
        result.ShouldNotContain("before the plan");
        State("db").ShouldContain("\"xlarge\"");
    }

    [Fact]
    public async Task The_catch_up_of_an_earlier_merge_applies_to_the_checkouts_relative_local_states()
    {
        // queue: backend "local" with a path relative to its dir, inside the repository; plain: no backend block (its dir's terraform.tfstate)
        const string queue = "terraform {\n  backend \"local\" {\n    path = \"../state/queue.tfstate\"\n  }\n}\n";
        await OnMainAsync("queue/main.tf", queue + Resource("q", "v1"));
        await OnMainAsync("plain/main.tf", Resource("p", "v1"));
        await _scenario.ApplyAsync("queue");
        await _scenario.ApplyAsync("plain");
        var queueState = Path.Combine(_scenario.Repo.Root, "state", "queue.tfstate");
        File.ReadAllText(queueState).ShouldContain("\"v1\"");

        await PlanAndApproveAsync(62, new() { ["queue/main.tf"] = queue + Resource("q", "v2"), ["plain/main.tf"] = Resource("p", "v2") }, "queue", approve: false);
        var first = await MergeAsync(62); // its apply job never runs
        await PlanAndApproveAsync(63, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen2", StringComparison.Ordinal) }, "db");
        var second = await MergeAsync(63);

        var (code, errors) = await RunAsync("push", Push(second));
        code.ShouldBe(0, errors);
        var caughtUp = _github.CommentsOn(62).Last().Body;
        caughtUp.ShouldContain($"### PlanBot apply of `{first[..7]}` (the merge of #62)", customMessage: caughtUp);
        caughtUp.ShouldContain("| `queue` | ✅ applied from the stored plan: 0 added, 1 changed, 0 destroyed, 0 replaced |");
        caughtUp.ShouldContain("| `plain` | ✅ applied from the stored plan: 0 added, 1 changed, 0 destroyed, 0 replaced |");
        File.ReadAllText(queueState).ShouldContain("\"v2\"");
        State("plain").ShouldContain("\"v2\"");
        State("db").ShouldContain("\"gen2\"");

        // the checkout's states are what terraform sees now: nothing left to do
        var drift = await _scenario.PlanHeadAsync(second, ["queue", "plain"]);
        drift.Projects.Select(p => p.Status).ShouldBe([Core.Runs.ProjectStatus.NoChanges, Core.Runs.ProjectStatus.NoChanges]);
    }

    [Fact]
    public async Task A_merge_whose_apply_job_never_ran_is_applied_first_by_the_next_merges_apply_in_order()
    {
        // queue keeps its state outside the checkout (as remote backends do), so a worktree of an older merge applies to the same state
        var queue = $"terraform {{\n  backend \"local\" {{\n    path = \"{_dir.Combine("queue.tfstate")}\"\n  }}\n}}\n";
        await OnMainAsync("queue/main.tf", queue + Resource("q", "v1"));
        await _scenario.ApplyAsync("queue");

        await PlanAndApproveAsync(60, new() { ["queue/main.tf"] = queue + Resource("q", "v2") }, "queue", approve: false);
        var first = await MergeAsync(60); // its apply job is cancelled: no push event is ever handled for it
        await PlanAndApproveAsync(61, new() { ["db/main.tf"] = LocalBackend + Db.Replace("GEN", "gen2", StringComparison.Ordinal) }, "db");
        var second = await MergeAsync(61);

        var (code, errors) = await RunAsync("push", Push(second));
        code.ShouldBe(0, errors);
        _github.CommentsOn(60).Last().Body.ShouldContain($"### PlanBot apply of `{first[..7]}` (the merge of #60)");
        _github.CommentsOn(60).Last().Body.ShouldContain("| `queue` | ✅ applied from the stored plan: 0 added, 1 changed, 0 destroyed, 0 replaced |");
        _github.CommentsOn(61).Last().Body.ShouldContain("| `db` | ✅ applied from the stored plan: 0 added, 0 changed, 0 destroyed, 1 replaced |");
        File.ReadAllText(_dir.Combine("queue.tfstate")).ShouldContain("\"v2\"");
        State("db").ShouldContain("\"gen2\"");

        // the next push finds #61 applied and looks no further back
        await OnMainAsync("README.md", "direct push\n");
        var comments = _github.Comments.Count;
        (code, errors) = await RunAsync("push", Push((await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim()));
        code.ShouldBe(0, errors);
        _github.Comments.Count.ShouldBe(comments);
    }
}
