using System.Globalization;

namespace PlanBot.Core.Config;

/// <summary>
/// The trust boundary of planbot.yaml: the policy keys (who approves what, how and where things are
/// applied, locked and stored, which PRs are planned, what is masked, which terraform runs, every
/// project's <c>foundational</c>) come from the trusted side — the default branch as it is when the
/// run starts — and the layout keys (<c>projects</c>' dir, workspace, depends_on, when_modified,
/// autoplan; <c>discovery</c>, <c>autoplan</c>) from the PR's head. A project's own terraform settings
/// (var_files, backend_config, env, extra_args) are policy like <c>terraform</c>: they come from the
/// trusted side's project with the same dir and workspace, none for a project the head adds. So are
/// <c>workflows</c> and each project's <c>workflow</c>: a PR cannot add a step that runs with secrets.
/// A pull request never changes the rules it is judged by.
/// </summary>
public static class TrustedPolicy
{
    /// <summary>The head's layout under the trusted side's policy, with the policy keys the head would change.</summary>
    public static PlanBotConfig Merge(PlanBotConfig trusted, PlanBotConfig head)
    {
        ArgumentNullException.ThrowIfNull(trusted);
        ArgumentNullException.ThrowIfNull(head);
        return trusted with
        {
            SourceFile = head.SourceFile ?? trusted.SourceFile,
            Discovery = head.Discovery,
            Autoplan = head.Autoplan,
            Projects = [.. head.Projects.Select(p => p with { Foundational = Match(trusted, p)?.Foundational ?? false, Run = Match(trusted, p)?.Run ?? RunSettings.None, Workflow = Match(trusted, p)?.Workflow })],
            PolicyChanges = Changes(trusted, head),
        };
    }

    /// <summary>The policy keys whose values differ between the two sides, by name.</summary>
    public static IReadOnlyList<string> Changes(PlanBotConfig trusted, PlanBotConfig head)
    {
        ArgumentNullException.ThrowIfNull(trusted);
        ArgumentNullException.ThrowIfNull(head);
        var before = Keys(trusted);
        var after = Keys(head);
        var changed = before.Keys.Where(k => before[k] != after[k]).ToList();
        changed.AddRange(head.Projects
            .Where(p => p.Foundational != (Match(trusted, p)?.Foundational ?? false))
            .Select(p => $"projects[{p.Dir}].foundational"));
        changed.AddRange(head.Projects
            .Where(p => Run(p.Run) != Run(Match(trusted, p)?.Run ?? RunSettings.None))
            .Select(p => $"projects[{p.Dir}].terraform settings"));
        // workflows (issue 17): the step lists, and which one each project runs, are policy.
        if (Workflows(trusted) != Workflows(head))
        {
            changed.Add("workflows");
        }

        changed.AddRange(head.Projects
            .Where(p => p.Workflow != Match(trusted, p)?.Workflow)
            .Select(p => $"projects[{p.Dir}].workflow"));
        return changed;
    }

    private static ProjectConfig? Match(PlanBotConfig config, ProjectConfig project) =>
        config.Projects.FirstOrDefault(p => p.Dir == project.Dir && p.Workspace == project.Workspace);

    private static string Join<T>(IEnumerable<T> items) => string.Join('\u001f', items.Select(i => Convert.ToString(i, CultureInfo.InvariantCulture)));

    /// <summary>Terraform run settings as one comparable string.</summary>
    private static string Run(RunSettings run) => Join<object>([Join(run.VarFiles), Join(run.BackendConfig), Join(run.Env),
        Join(run.ExtraArgs.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + Join(kv.Value))), run.Version ?? ""]);

    /// <summary>Every workflow's steps (argv, env, timeout) as one comparable string.</summary>
    private static string Workflows(PlanBotConfig c) => Join(c.Workflows.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w =>
        w.Key + "=" + Join(w.Value.Plan.Concat([null]).Concat(w.Value.Apply).Select(s => s is null ? "|" : s.Kind + (s.Command is { } r ? $"({r.Name};{Join(r.Argv)};{Join(r.Env)};{r.Timeout})" : "")))));

    /// <summary>Each policy key's value as one comparable string (lists joined in order).</summary>
    private static Dictionary<string, string> Keys(PlanBotConfig c)
    {
        string Backends(string prefix) => Join(c.Backends.Where(b => b.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(b => b.Key, StringComparer.Ordinal)
            .Select(b => b.Key + "=" + Join(b.Value.Values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}:{v.Value}"))));
        var a = c.Approval;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["approval"] = Join<object>([a.Destructive, Join(a.FoundationalPaths), Join(a.FoundationalTypes), Join(a.Users), Join(a.Teams), a.MinPermission, a.AllowSelfApproval, a.Required]),
            ["apply"] = c.ApplyMode.ToString() + "/" + c.ApplyDependents,
            ["commands"] = Join([c.Commands.Plan, c.Commands.Unlock, c.Commands.Apply ?? ""]),
            ["locks"] = Join<object>([c.LocksBackend, c.LocksBackendChosen, c.LocksTtl, Backends("locks.")]),
            ["plans"] = Join([c.PlansStore, Backends("plans.")]),
            ["pull_requests"] = Join([c.PullRequests.PlanDrafts, c.PullRequests.PlanForks]),
            ["comments.mask"] = Join(c.Comments.Mask),
            ["terraform"] = Join<object>([c.Terraform.Binary, c.Terraform.StepTimeout, c.Terraform.LockTimeout, Run(c.Terraform.Run), c.Terraform.Mirror ?? ""]),
        };
    }
}
