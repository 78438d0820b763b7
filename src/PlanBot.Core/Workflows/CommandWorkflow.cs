using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;

namespace PlanBot.Core.Workflows;

/// <summary>
/// A <c>/planbot</c> comment: 👀 when taken, then the command, then 👍 or 👎. Unknown commands and
/// flags get the usage, never silence. Project names and dirs are checked against the discovered
/// projects by the plan engine before anything runs.
/// </summary>
public sealed class CommandWorkflow(IVcs vcs, PullRequestWorkflow pullRequests, ILockStore locks, IProgress<string>? progress = null)
{
    public async Task<PullRequestOutcome?> RunAsync(PullRequestContext context, IssueComment comment, PlanBotConfig config, CommentOptions options, CancellationToken cancellationToken)
    {
        await vcs.AddReactionAsync(context.Repo, comment.Id, "eyes", cancellationToken).ConfigureAwait(false);
        var command = SlashCommand.Parse(comment.Body);
        progress?.Report($"#{context.PullRequest.Number}: @{comment.Author} said {(command.Verb?.ToString().ToLowerInvariant() ?? command.Error)}");
        PullRequestOutcome? outcome = null;
        bool ok;
        switch (command.Verb)
        {
            case null:
                await ReplyAsync(context, $"@{comment.Author} {command.Error}.\n\n{SlashCommand.Usage}", cancellationToken).ConfigureAwait(false);
                ok = false;
                break;
            case CommandVerb.Help:
                await ReplyAsync(context, SlashCommand.Usage, cancellationToken).ConfigureAwait(false);
                ok = true;
                break;
            case CommandVerb.Plan:
                try
                {
                    outcome = await pullRequests.RunAsync(context with { Projects = [.. command.Projects, .. command.Dirs.Select(d => "dir:" + d)] }, config, options, cancellationToken).ConfigureAwait(false);
                    ok = outcome.Report is { AnyFailed: false };
                }
                catch (UsageException e)
                {
                    await ReplyAsync(context, $"@{comment.Author} {e.Message}", cancellationToken).ConfigureAwait(false);
                    ok = false;
                }

                break;
            case CommandVerb.Unlock:
                ok = await UnlockAsync(context, comment, command, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await ReplyAsync(context, $"@{comment.Author} `/planbot {command.Verb.ToString()!.ToLowerInvariant()}` is part of PlanBot's approval and apply gate, which this version does not run yet. Plans, locks and `/planbot unlock` work.", cancellationToken).ConfigureAwait(false);
                ok = false;
                break;
        }

        await vcs.AddReactionAsync(context.Repo, comment.Id, ok ? "+1" : "-1", cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private async Task<bool> UnlockAsync(PullRequestContext context, IssueComment comment, SlashCommand command, CancellationToken cancellationToken)
    {
        var pr = context.PullRequest.Number;
        var held = (await locks.ListAsync(context.Repo, cancellationToken).ConfigureAwait(false))
            .Where(l => l.Key.Kind == LockKind.Project && l.Owner.PullRequest == pr)
            .Where(l => command.Dirs.Count == 0 || command.Dirs.Contains(l.Key.Dir))
            .Where(l => command.Projects.Count == 0 || command.Projects.Any(p => p == l.Key.Dir || p == $"{l.Key.Dir}@{l.Key.Workspace}"))
            .ToArray();
        foreach (var record in held)
        {
            await locks.ReleaseAsync(record.Key, record.Owner, cancellationToken).ConfigureAwait(false);
            progress?.Report($"released {record.Key.Id} held by #{pr} (@{record.Owner.User}) on /planbot unlock by @{comment.Author}");
        }

        await ReplyAsync(context, held.Length == 0
            ? $"@{comment.Author} this pull request holds no project locks{(command.Projects.Count + command.Dirs.Count > 0 ? " for those projects" : "")}."
            : $"@{comment.Author} released {string.Join(", ", held.Select(l => $"`{l.Key.Dir}`"))}. Other pull requests plan them on their next push or `/planbot plan`; this one takes them again on its next plan.", cancellationToken).ConfigureAwait(false);
        return true;
    }

    private Task ReplyAsync(PullRequestContext context, string text, CancellationToken cancellationToken) =>
        vcs.CreateCommentAsync(context.Repo, context.PullRequest.Number, text, cancellationToken);
}
