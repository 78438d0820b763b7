using PlanBot.Core.Commands;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Core.Events;

namespace PlanBot.Cli.Commands;

/// <summary>
/// `planbot run` with PLANBOT_DECIDE_ONLY=true (the action's `decide-only: true`): the first job of
/// the issue_comment workflow. It runs on the default branch's checkout, never the PR's, and only
/// decides whether the comment is a command its author may give; the second job checks out the PR
/// head and runs it only when this says `allowed=true` (GITHUB_OUTPUT). The full checks (approver
/// rules, command roles) run again in the second job: this gate keeps the pull request's code off the
/// runner for anyone else.
/// </summary>
public static class DecideCommand
{
    /// <summary>Roles that may make PlanBot check out and plan a pull request's head.</summary>
    private static readonly string[] Writers = ["admin", "maintain", "write"];

    /// <summary>Roles that may have a fork's code planned (with `pull_requests.plan_forks` on the default branch).</summary>
    private static readonly string[] Approvers = ["admin", "maintain"];

    public static async Task<int> RunAsync(CliContext cli, IVcs vcs, PlanBotEvent webhook, PlanBotConfig trustedConfig, string? outputFile, CancellationToken cancellationToken)
    {
        var (allowed, why) = await DecideAsync(vcs, webhook, trustedConfig, cancellationToken).ConfigureAwait(false);
        cli.Progress.Report(allowed ? $"allowed: {why}" : $"not run: {why}");
        if (outputFile is { } output)
        {
            await File.AppendAllTextAsync(output, $"allowed={(allowed ? "true" : "false")}\n", cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    public static async Task<(bool Allowed, string Why)> DecideAsync(IVcs vcs, PlanBotEvent webhook, PlanBotConfig trustedConfig, CancellationToken cancellationToken)
    {
        if (webhook is not PlanBotEvent.Command { Comment: var comment } command)
        {
            return (webhook is not PlanBotEvent.Ignored, webhook is PlanBotEvent.Ignored ignored ? ignored.Why : "not a comment: decided by its own workflow");
        }

        var verb = SlashCommand.Parse(comment.Body).Verb;
        if (verb is null or CommandVerb.Help)
        {
            return (true, "the usage reply runs no code of the pull request");
        }

        var permission = await vcs.GetPermissionAsync(command.Repo, comment.Author, cancellationToken).ConfigureAwait(false);
        var role = permission.RoleName ?? permission.Permission;
        var pr = await vcs.GetPullRequestAsync(command.Repo, command.Number, cancellationToken).ConfigureAwait(false);
        var needed = pr.FromFork ? Approvers : Writers;
        if (pr.FromFork && !trustedConfig.PullRequests.PlanForks)
        {
            await Refuse($"this pull request comes from a fork, and the default branch's planbot.yaml does not allow planning forks (`pull_requests.plan_forks`)").ConfigureAwait(false);
            return (false, "a fork, and plan_forks is off on the default branch");
        }

        if (!needed.Contains(role, StringComparer.OrdinalIgnoreCase))
        {
            await Refuse($"`/planbot {verb.Value.ToString().ToLowerInvariant()}` needs the `{needed[^1]}` role on this repository{(pr.FromFork ? " for a fork's pull request" : "")}; you have `{UserText.Clean(role)}`. Nothing was run").ConfigureAwait(false);
            return (false, $"@{comment.Author} has the {role} role; {needed[^1]} is needed");
        }

        return (true, $"@{comment.Author} ({role}) may run {verb.Value.ToString().ToLowerInvariant()}");

        Task Refuse(string text) => vcs.CreateCommentAsync(command.Repo, command.Number, $"@{comment.Author} {text}.", cancellationToken);
    }
}
