using Microsoft.Extensions.Time.Testing;
using PlanBot.Core.Discovery;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;
using PlanBot.Local.Locks;
using PlanBot.Testing;

namespace PlanBot.Local.Tests.Locks;

/// <summary>Approval state kept with the project lock records (SQLite here; the store contract covers the other backends).</summary>
public sealed class ApprovalRecordsTests : IDisposable
{
    private const string Repo = "acme/infra";
    private readonly TempDir _dir = new("planbot-approvals");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly SqliteLockStore _locks;
    private readonly ApprovalRecords _records;
    private static readonly Project Network = new() { Name = "network", Dir = "envs/prod/network" };
    private static readonly Project App = new() { Name = "app", Dir = "envs/prod/app" };
    private static readonly LockOwner Pr7 = new(Repo, 7, "head1", "alice", "run-1");

    public ApprovalRecordsTests()
    {
        _locks = new SqliteLockStore(_dir.Combine("locks.db"), _clock);
        _records = new ApprovalRecords(_locks);
    }

    public void Dispose() => _dir.Dispose();

    private async Task HoldAsync(LockOwner owner, params Project[] projects)
    {
        foreach (var project in projects)
        {
            (await _locks.AcquireAsync(new LockKey(LockKind.Project, Repo, project.Dir, project.Workspace), owner, TimeSpan.FromDays(7), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        }
    }

    private static PlanMeta Plan(string head, long at, params (string Project, string Fingerprint, bool Required)[] projects) =>
        new(head, at, projects.ToDictionary(p => p.Project, p => p.Fingerprint, StringComparer.Ordinal), [.. projects.Where(p => p.Required).Select(p => p.Project)]);

    private static ApprovalEntry Approval(long comment, string user, string head, params (string Project, string Fingerprint)[] plans) =>
        new(comment, user, head, plans.ToDictionary(p => p.Project, p => p.Fingerprint, StringComparer.Ordinal));

    private Task<ApprovalState> ReadAsync(string? commentMeta = null) => _records.ReadAsync(Repo, 7, commentMeta, CancellationToken.None);

    [Fact]
    public async Task A_plan_and_its_approvals_round_trip_through_the_lock_records_one_project_per_record()
    {
        await HoldAsync(Pr7, Network, App);
        var plan = Plan("head1", 1000, ("network", "fp-n", true), ("app", "fp-a", false));
        var approvals = new[] { Approval(11, "carol", "head1", ("network", "fp-n"), ("app", "fp-a")), Approval(12, "dave", "head1", ("network", "fp-n")) };
        await _records.SaveAsync(Pr7, await ReadAsync(), new ApprovalState(plan, approvals), [Network, App], CancellationToken.None);

        var read = await ReadAsync();
        read.Plan!.Head.ShouldBe("head1");
        read.Plan.PlannedAt.ShouldBe(1000);
        read.Plan.Fingerprints.ShouldBe(plan.Fingerprints, ignoreOrder: true);
        read.Plan.Required.ShouldBe(["network"]);
        read.Entries.Select(e => (e.Comment, e.User, string.Join(",", e.Fingerprints.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))))
            .ShouldBe([(11L, "carol", "app=fp-a,network=fp-n"), (12L, "dave", "network=fp-n")]);

        var records = await _locks.ListAsync(Repo, CancellationToken.None);
        records.Single(r => r.Key.Dir == Network.Dir).Approvals!.ShouldContain("\"project\":\"network\"");
        records.Single(r => r.Key.Dir == App.Dir).Approvals!.ShouldNotContain("dave", Case.Sensitive, "each record holds its own project's approvals");
    }

    [Fact]
    public async Task The_comment_metadata_is_not_the_record_on_a_strict_backend()
    {
        await HoldAsync(Pr7, Network);
        var forged = ApprovalLedger.WithEntries(ApprovalLedger.WithPlan(null, Plan("head1", 1, ("network", "fp-n", false))), [Approval(99, "mallory", "head1", ("network", "fp-n"))]);
        var strict = await ReadAsync(forged);
        strict.Plan.ShouldBeNull();
        strict.Entries.ShouldBeEmpty();

        var github = await new ApprovalRecords(new SqliteLockStore(_dir.Combine("run.db"), _clock, keepsApprovals: false)).ReadAsync(Repo, 7, forged, CancellationToken.None);
        github.Plan!.Fingerprints["network"].ShouldBe("fp-n", "without lock records the comment is the record (re-verified by the ledger)");
        github.Entries.Single().User.ShouldBe("mallory");
    }

    [Fact]
    public async Task Two_runners_approving_at_once_both_count_and_a_withdrawal_removes_only_its_own()
    {
        await HoldAsync(Pr7, Network);
        var plan = Plan("head1", 1000, ("network", "fp-n", true));
        await _records.SaveAsync(Pr7, await ReadAsync(), new ApprovalState(plan, []), [Network], CancellationToken.None);
        var before = await ReadAsync();

        // both read the same state, then each saves its own addition
        await _records.SaveAsync(Pr7, before, before with { Entries = [Approval(11, "carol", "head1", ("network", "fp-n"))] }, [], CancellationToken.None);
        await _records.SaveAsync(Pr7, before, before with { Entries = [Approval(12, "dave", "head1", ("network", "fp-n"))] }, [], CancellationToken.None);
        var both = await ReadAsync();
        both.Entries.Select(e => e.User).ShouldBe(["carol", "dave"]);

        await _records.SaveAsync(Pr7, both, both with { Entries = [.. both.Entries.Where(e => e.User != "carol")] }, [], CancellationToken.None);
        (await ReadAsync()).Entries.Select(e => e.User).ShouldBe(["dave"]);
    }

    [Fact]
    public async Task A_new_head_is_the_plan_and_projects_left_on_the_old_head_keep_only_void_approvals_until_cleared()
    {
        await HoldAsync(Pr7, Network, App);
        var first = Plan("head1", 1000, ("network", "fp-n", true), ("app", "fp-a", true));
        await _records.SaveAsync(Pr7, await ReadAsync(), new ApprovalState(first, [Approval(11, "carol", "head1", ("network", "fp-n"), ("app", "fp-a"))]), [Network, App], CancellationToken.None);

        // the next push changes only app: until its run saves, network's record is still of the old head
        var second = Plan("head2", 2000, ("app", "fp-a2", true));
        await _locks.UpdateApprovalsAsync(new LockKey(LockKind.Project, Repo, App.Dir, "default"), Pr7, _ =>
            """{"project":"app","head":"head2","planned_at":2000,"fingerprint":"fp-a2","required":true,"approvals":[]}""", CancellationToken.None);
        var mixed = await ReadAsync();
        mixed.Plan!.Head.ShouldBe("head2");
        mixed.Plan.Fingerprints.Keys.ShouldBe(["app"]);
        mixed.Entries.Single().Head.ShouldBe("head1", "the old head's approval is still there, to be reported void");

        await _records.SaveAsync(Pr7, mixed, new ApprovalState(second, []), [App], CancellationToken.None);
        (await _locks.ListAsync(Repo, CancellationToken.None)).Single(r => r.Key.Dir == Network.Dir).Approvals.ShouldBeNull("not in the plan: its state is cleared");
        var after = await ReadAsync();
        after.Plan!.Fingerprints.ShouldBe(second.Fingerprints);
        after.Entries.ShouldBeEmpty();
    }

    [Fact]
    public async Task Another_prs_lock_and_a_hand_edited_record_are_never_read_as_approvals()
    {
        await HoldAsync(Pr7, Network);
        await HoldAsync(Pr7 with { PullRequest = 8 }, App);
        await _locks.UpdateApprovalsAsync(new LockKey(LockKind.Project, Repo, App.Dir, "default"), Pr7 with { PullRequest = 8 }, _ =>
            """{"project":"app","head":"x","planned_at":1,"fingerprint":"f","required":false,"approvals":[]}""", CancellationToken.None);
        await _locks.UpdateApprovalsAsync(new LockKey(LockKind.Project, Repo, Network.Dir, "default"), Pr7, _ => "{not json", CancellationToken.None);
        var read = await ReadAsync();
        read.Plan.ShouldBeNull();
        read.Entries.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_project_that_fails_to_plan_on_the_same_head_keeps_its_approval_and_an_older_plan_never_overwrites_a_newer_one()
    {
        await HoldAsync(Pr7, Network, App);
        var first = Plan("head1", 1000, ("network", "fp-n", true), ("app", "fp-a", true));
        await _records.SaveAsync(Pr7, await ReadAsync(), new ApprovalState(first, [Approval(11, "carol", "head1", ("network", "fp-n"), ("app", "fp-a"))]), [Network, App], CancellationToken.None);

        // the same head again, app fails to plan: it is not in this plan, and keeps what it had
        var before = await ReadAsync();
        await _records.SaveAsync(Pr7, before, new ApprovalState(Plan("head1", 1000, ("network", "fp-n", true)), before.Entries), [Network, App], CancellationToken.None);
        var kept = await ReadAsync();
        kept.Plan!.Fingerprints.ShouldBe(first.Fingerprints, ignoreOrder: true);
        kept.Entries.Single().Fingerprints.Keys.Order().ShouldBe(["app", "network"]);

        // a runner that read head1 saves after another recorded head2: head2's state stays
        var newer = Plan("head2", 2000, ("network", "fp-n2", true), ("app", "fp-a2", true));
        await _records.SaveAsync(Pr7, kept, new ApprovalState(newer, []), [Network, App], CancellationToken.None);
        await _records.SaveAsync(Pr7, kept, kept with { Entries = [.. kept.Entries, Approval(12, "dave", "head1", ("network", "fp-n"))] }, [], CancellationToken.None);
        var now = await ReadAsync();
        now.Plan!.Head.ShouldBe("head2");
        now.Plan.Fingerprints.ShouldBe(newer.Fingerprints, ignoreOrder: true);
        now.Entries.ShouldBeEmpty();
    }
}
