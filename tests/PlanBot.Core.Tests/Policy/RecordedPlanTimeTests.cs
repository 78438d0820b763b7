using PlanBot.Core.Discovery;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Policy;

/// <summary>
/// On strict backends GitHub's time of a plan (posted_at) is kept in the lock records, written once
/// per head; the copy in the comment's metadata, which anyone with write access can edit, is ignored.
/// </summary>
public sealed class RecordedPlanTimeTests
{
    private const string Repo = "acme/infra";
    private static readonly Project Network = new() { Name = "network", Dir = "network" };
    private static readonly LockOwner Pr7 = new(Repo, 7, "head1", "alice", "run-1");
    private readonly InMemoryLockStore _locks = new();
    private ApprovalRecords Records => new(_locks);

    private static PlanMeta Plan(string head, long? postedAt = null) => new(head, 1000, new(StringComparer.Ordinal) { ["network"] = "fp" }, ["network"], postedAt);

    private async Task<ApprovalState> ReadAsync(string? meta = null) => await Records.ReadAsync(Repo, 7, meta, CancellationToken.None);

    [Fact]
    public async Task The_first_recorded_time_stands_and_an_edited_comment_does_not_move_it()
    {
        (await _locks.AcquireAsync(new LockKey(LockKind.Project, Repo, "network", "default"), Pr7, TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        await Records.SaveAsync(Pr7, await ReadAsync(), new ApprovalState(Plan("head1"), []), [Network], CancellationToken.None);
        (await ReadAsync()).Plan!.PostedAt.ShouldBeNull("not shown yet");

        await Records.RecordPostedAtAsync(Pr7, await ReadAsync(), "head1", 1_700_000_100, CancellationToken.None);
        await Records.RecordPostedAtAsync(Pr7, await ReadAsync(), "head1", 1_700_000_900, CancellationToken.None);
        var forged = ApprovalLedger.WithPlan(null, Plan("head1", 1));
        (await ReadAsync(forged)).Plan!.PostedAt.ShouldBe(1_700_000_100);

        // a re-plan of the same head that does not know the time keeps it; a new head starts without one
        await Records.SaveAsync(Pr7, await ReadAsync(), new ApprovalState(Plan("head1"), []), [Network], CancellationToken.None);
        (await ReadAsync()).Plan!.PostedAt.ShouldBe(1_700_000_100);
        await Records.SaveAsync(Pr7, await ReadAsync(), new ApprovalState(Plan("head2") with { PlannedAt = 2000 }, []), [Network], CancellationToken.None);
        (await ReadAsync(ApprovalLedger.WithPlan(null, Plan("head2", 1)))).Plan!.PostedAt.ShouldBeNull();
    }

    [Fact]
    public async Task A_record_written_before_the_time_was_kept_reads_without_one()
    {
        var key = new LockKey(LockKind.Project, Repo, "network", "default");
        (await _locks.AcquireAsync(key, Pr7, TimeSpan.FromDays(1), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        await _locks.UpdateApprovalsAsync(key, Pr7, _ => """{"project":"network","head":"head1","planned_at":1000,"fingerprint":"fp","required":true,"approvals":[]}""", CancellationToken.None);
        var read = await ReadAsync(ApprovalLedger.WithPlan(null, Plan("head1", 5)));
        read.Plan!.Head.ShouldBe("head1");
        read.Plan.PostedAt.ShouldBeNull("the comment's time is never taken on a strict backend");
    }
}
