using System.Globalization;

namespace PlanBot.Core.Config;

/// <summary>
/// The policy keys one by one: which a file wrote (a key left out is not a key set to its default:
/// a server policy that says nothing about <c>apply.mode</c> lets the repository choose), and each
/// key's effective value as text (for <c>planbot projects</c> and the merge rule's tests).
/// </summary>
public static class PolicyKeys
{
    /// <summary>Every policy key PlanBot reports, in the order <c>planbot projects</c> prints them.</summary>
    public static readonly IReadOnlyList<(string Key, Func<PlanBotConfig, string> Value)> All =
    [
        ("approval.destructive", c => Bool(c.Approval.Destructive)),
        ("approval.foundational_paths", c => List(c.Approval.FoundationalPaths)),
        ("approval.foundational_types", c => List(c.Approval.FoundationalTypes)),
        ("approval.approvers.users", c => List(c.Approval.Users)),
        ("approval.approvers.teams", c => List(c.Approval.Teams)),
        ("approval.approvers.min_permission", c => c.Approval.MinPermission),
        ("approval.allow_self_approval", c => Bool(c.Approval.AllowSelfApproval)),
        ("approval.required", c => c.Approval.Required.ToString(CultureInfo.InvariantCulture)),
        ("apply.mode", c => c.ApplyMode == ApplyMode.Comment ? "comment" : "on_merge"),
        ("commands.plan.min_permission", c => c.Commands.Plan),
        ("commands.unlock.min_permission", c => c.Commands.Unlock),
        ("commands.apply.min_permission", c => c.Commands.Apply ?? "(the approver rules)"),
        ("locks", c => c.LocksBackendChosen ? $"{c.LocksBackend}, ttl {c.LocksTtl}" : $"(the host's default), ttl {c.LocksTtl}"),
        ("plans", c => c.PlansStore),
        ("pull_requests.plan_drafts", c => Bool(c.PullRequests.PlanDrafts)),
        ("pull_requests.plan_forks", c => Bool(c.PullRequests.PlanForks)),
        ("comments.mask", c => List(c.Comments.Mask)),
        ("terraform.binary", c => c.Terraform.Binary),
        ("terraform.timeout", c => c.Terraform.StepTimeout.ToString()),
        ("terraform.lock_timeout", c => c.Terraform.LockTimeout.ToString()),
        ("terraform.env", c => List(c.Terraform.Run.Env.Select(e => e.FromRunner ? $"{e.Name} from {e.Value}" : e.Name))),
        ("terraform.extra_args", c => List(c.Terraform.Run.ExtraArgs.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {string.Join(' ', kv.Value)}"))),
        ("terraform.version", c => c.Terraform.Run.Version ?? "(the binary as installed; a project's version file or pinned required_version)"),
        ("terraform.mirror", c => c.Terraform.Mirror ?? "(the product's own releases)"),
        ("workflows", c => List(c.Workflows.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key}: plan({string.Join("; ", w.Value.Plan.Select(step => step.Title))}) apply({string.Join("; ", w.Value.Apply.Select(step => step.Title))})"))),
    ];

    /// <summary>The policy keys <paramref name="raw"/> writes (sections <c>locks</c> and <c>plans</c> count as one key each).</summary>
    public static IReadOnlySet<string> Written(RawConfig raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var written = new HashSet<string>(StringComparer.Ordinal);
        void If(bool condition, string key)
        {
            if (condition)
            {
                written.Add(key);
            }
        }

        If(raw.ApprovalDestructive is not null, "approval.destructive");
        If(raw.FoundationalPaths.Count > 0, "approval.foundational_paths");
        If(raw.FoundationalTypes.Count > 0, "approval.foundational_types");
        If(raw.ApproverUsers.Count > 0, "approval.approvers.users");
        If(raw.ApproverTeams.Count > 0, "approval.approvers.teams");
        If(raw.ApproverMinPermission is not null, "approval.approvers.min_permission");
        If(raw.AllowSelfApproval is not null, "approval.allow_self_approval");
        If(raw.ApprovalsRequired is not null, "approval.required");
        If(raw.ApplyMode is not null, "apply.mode");
        foreach (var verb in raw.CommandMinPermissions.Keys)
        {
            written.Add($"commands.{verb}.min_permission");
        }

        If(raw.LocksBackend is not null || raw.LocksTtl is not null || raw.Backends.Keys.Any(k => k.StartsWith("locks.", StringComparison.Ordinal)), "locks");
        If(raw.PlansStore is not null || raw.Backends.Keys.Any(k => k.StartsWith("plans.", StringComparison.Ordinal)), "plans");
        If(raw.PlanDrafts is not null, "pull_requests.plan_drafts");
        If(raw.PlanForks is not null, "pull_requests.plan_forks");
        If(raw.CommentsMask.Count > 0, "comments.mask");
        If(raw.TerraformBinary is not null, "terraform.binary");
        If(raw.TerraformTimeout is not null, "terraform.timeout");
        If(raw.TerraformLockTimeout is not null, "terraform.lock_timeout");
        If(raw.Run.Env.Count > 0, "terraform.env");
        If(raw.Run.ExtraArgs.Count > 0, "terraform.extra_args");
        If(raw.Run.Version is not null, "terraform.version");
        If(raw.TerraformMirror is not null, "terraform.mirror");
        If(raw.Workflows.Count > 0, "workflows");
        return written;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string List<T>(IEnumerable<T> items)
    {
        var text = string.Join(", ", items.Select(i => Convert.ToString(i, CultureInfo.InvariantCulture)));
        return text.Length == 0 ? "[]" : $"[{text}]";
    }
}
