using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Policy;

/// <summary>Whether one person's approval counts, and if not, exactly why.</summary>
public sealed record ApproverVerdict(bool Allowed, string Why);

/// <summary>
/// An approval counts from a user listed in <c>approvers.users</c>, a member of one of
/// <c>approvers.teams</c> ("org/team", or "team" in the repository's owner), or a collaborator whose
/// role is at least <c>approvers.min_permission</c> — read from <c>role_name</c>, since
/// <c>permission</c> only says admin/write/read/none — and never from the PR's author unless
/// <c>allow_self_approval</c>. Checked again on every run: a role taken away voids the approval.
/// </summary>
public sealed class ApproverCheck(IVcs vcs, ApprovalSettings settings)
{
    private static readonly string[] Roles = ["none", "read", "triage", "write", "maintain", "admin"];

    /// <summary>Whether <paramref name="user"/>'s role on the repository (<c>role_name</c>) is at least <paramref name="minPermission"/>, and that role.</summary>
    public static async Task<(bool Allowed, string Role)> HasRoleAsync(IVcs vcs, string repo, string user, string minPermission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vcs);
        ArgumentNullException.ThrowIfNull(minPermission);
        var permission = await vcs.GetPermissionAsync(repo, user, cancellationToken).ConfigureAwait(false);
        var role = (permission.RoleName ?? permission.Permission).ToLowerInvariant();
        var have = Array.IndexOf(Roles, role);
        var need = Array.IndexOf(Roles, minPermission.ToLowerInvariant());
        return (have >= need && have > 0, role);
    }

    public async Task<ApproverVerdict> CheckAsync(string repo, string user, string prAuthor, CancellationToken cancellationToken)
    {
        if (string.Equals(user, prAuthor, StringComparison.OrdinalIgnoreCase) && !settings.AllowSelfApproval)
        {
            return new(false, "you opened this pull request, and approving your own changes is off (approval.allow_self_approval)");
        }

        if (settings.Users.Contains(user, StringComparer.OrdinalIgnoreCase))
        {
            return new(true, "listed in approval.approvers.users");
        }

        foreach (var team in settings.Teams)
        {
            var (org, slug) = team.Contains('/', StringComparison.Ordinal) ? (team.Split('/')[0], team.Split('/')[1]) : (repo.Split('/')[0], team);
            if (await vcs.IsTeamMemberAsync(org, slug, user, cancellationToken).ConfigureAwait(false))
            {
                return new(true, $"a member of {org}/{slug}");
            }
        }

        var (ok, role) = await HasRoleAsync(vcs, repo, user, settings.MinPermission, cancellationToken).ConfigureAwait(false);
        return ok
            ? new(true, $"role {role}")
            : new(false, $"your role on {repo} is {role}; approvals need at least {settings.MinPermission}" +
                         (settings.Users.Count + settings.Teams.Count > 0 ? ", or being listed in approval.approvers" : ""));
    }
}
