using System.Text.RegularExpressions;
using PlanBot.Core.Common;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The commit a pull request's policy is read from: the repository's default branch as it is when the
/// run starts (whatever branch the PR is based on), so a rule tightened there after the PR was opened
/// applies to the PR's next run, and a branch someone created cannot bring its own rules.
/// </summary>
/// <param name="Sha">The commit whose planbot.yaml holds the policy.</param>
/// <param name="Label">How errors name it (<c>base main at 1a2b3c4</c>).</param>
/// <param name="ForkPoint">
/// The merge base of <paramref name="Sha"/> and the PR's head: what the PR's own commits started
/// from. A policy key counts as changed by the PR when the head differs from it there, so a PR that
/// is merely behind a tightened branch is not told it loosens anything. Null: not known (compare with <paramref name="Sha"/>).
/// </param>
/// <param name="Note">Why the event's base was used instead of the branch head (for the log); null when the head was found.</param>
public sealed partial record TrustedBase(string Sha, string Label, string? ForkPoint = null, string? Note = null)
{
    /// <summary>
    /// What the pull request is told when its policy was read at the event's base instead of the
    /// default branch's head (<see cref="Note"/> is set): a line of its plan comment, so reviewers know
    /// which policy judged it. Names only plain branch names and SHAs (no user text). Null otherwise.
    /// </summary>
    public string? PullRequestNote { get; init; }

    /// <summary>
    /// The base branch's head in the checkout: <c>refs/remotes/origin/BRANCH</c> (what the service's
    /// clone fetched for this run, or what actions/checkout fetched when the job started), else the
    /// local <c>refs/heads/BRANCH</c> (a local checkout). Refs are spelled out in full: a tag or branch
    /// someone pushed named <c>origin/main</c> must not stand in for the branch. A candidate that is an
    /// ancestor of the event's base is stale (an old fetch), and the event's base is used. Not found:
    /// the event's base, with a <see cref="Note"/>.
    /// </summary>
    public static async Task<TrustedBase> ResolveAsync(IGit git, string checkout, PullRequestInfo pr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(git);
        ArgumentNullException.ThrowIfNull(pr);
        // The default branch's rules, whatever the PR's base: a branch anyone with push access can create
        // must not bring its own planbot.yaml as the policy of the PRs opened against it.
        var branch = pr.DefaultBranch ?? pr.BaseRef;
        var intoDefault = branch == pr.BaseRef;
        // speculative (issue 19): most runs trust the event's base itself (the checkout's origin/BRANCH is the
        // event's base), so its merge base with the head is asked beside the branch's head; its answer is used
        // only when the trusted commit turns out to be the event's base (a merge base depends on the two SHAs only)
        var guessed = IsSha(pr.BaseSha) && IsSha(pr.HeadSha) ? Background.Observed(MergeBaseOrNullAsync(git, checkout, pr.BaseSha, pr.HeadSha, cancellationToken)) : null;
        string? head = null;
        string? note = null;
        Task<string?>? forkPoint = null;
        if (!IsBranchName(branch))
        {
            note = $"the base branch name '{Config.AllowedRepositories.Printable(branch)}' is not a plain branch name";
        }
        else
        {
            head = await BranchHeadAsync(git, checkout, branch, cancellationToken).ConfigureAwait(false);
            note = head is null ? $"neither origin/{branch} nor {branch} is in the checkout (fetch the base branch)" : null;
            if (intoDefault && head is not null && head != pr.BaseSha)
            {
                // the branch moved on since the event (or is stale): the fork point from its head is asked beside the staleness check
                forkPoint = Background.Observed(MergeBaseOrNullAsync(git, checkout, head, pr.HeadSha, cancellationToken));
                if (await MergeBaseOrNullAsync(git, checkout, head, pr.BaseSha, cancellationToken).ConfigureAwait(false) == head)
                {
                    note = $"{branch} in the checkout ({Naming.ShortSha(head)}) is older than the event's base (a stale fetch)";
                    head = null;
                    forkPoint = null; // not used: the event's base is trusted instead
                }
            }
        }

        if (head is null && !intoDefault)
        {
            // the event's base is the PR's own base branch here, not the default branch: never its policy
            throw new UsageException($"#{pr.Number} is based on {Config.AllowedRepositories.Printable(pr.BaseRef)}; its policy is read from the default branch " +
                $"{Config.AllowedRepositories.Printable(branch)}, which is not in the checkout ({note}): fetch it (actions/checkout with fetch-depth: 0)");
        }

        if (head is null)
        {
            var why = IsBranchName(branch) ? note : "its name is not a plain branch name";
            return new TrustedBase(pr.BaseSha, $"base {Naming.ShortSha(pr.BaseSha)}",
                await (guessed ?? MergeBaseOrNullAsync(git, checkout, pr.BaseSha, pr.HeadSha, cancellationToken)).ConfigureAwait(false),
                $"#{pr.Number}: the policy is read at the event's base {Naming.ShortSha(pr.BaseSha)}, not at the head of {Config.AllowedRepositories.Printable(branch)} as it is now: {note}")
            {
                PullRequestNote = $"the policy of this plan (`planbot.yaml`'s policy keys) was read at the event's base `{Naming.ShortSha(pr.BaseSha)}`, not at the default branch's head as it is now ({why}): " +
                    "a rule changed on the default branch since then does not apply to this run; fetch the default branch (actions/checkout with `fetch-depth: 0`) so PlanBot reads its head",
            };
        }

        var fork = head == pr.BaseSha && guessed is not null ? guessed : forkPoint ?? MergeBaseOrNullAsync(git, checkout, head, pr.HeadSha, cancellationToken);
        return new TrustedBase(head, $"base {branch} at {Naming.ShortSha(head)}", await fork.ConfigureAwait(false));
    }

    /// <summary>A full commit SHA as git writes it: only these are handed to a question started on a guess (no ref rules, no option).</summary>
    internal static bool IsSha(string? text) => text is { Length: 40 or 64 } && text.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// A branch's head in a checkout, resolved by its full ref names only: <c>refs/remotes/origin/BRANCH</c>
    /// (what was fetched for this run), else <c>refs/heads/BRANCH</c>. Never the short name, which git
    /// resolves to a tag of that name first. Null: not in the checkout, or not a plain branch name.
    /// </summary>
    public static async Task<string?> BranchHeadAsync(IGit git, string checkout, string branch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(git);
        if (!IsBranchName(branch))
        {
            return null;
        }

        // both candidates in one question (one git process where the command line can, issue 19)
        return await git.FirstRefAsync(checkout, [$"refs/remotes/origin/{branch}", $"refs/heads/{branch}"], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A branch name git and a refspec take as it is (GitHub's are such names; anything else is not guessed at).</summary>
    private static bool IsBranchName(string name) =>
        BranchName().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal) && !name.Contains("//", StringComparison.Ordinal)
        && !name.EndsWith('/') && !name.EndsWith(".lock", StringComparison.Ordinal) && !name.Contains("@{", StringComparison.Ordinal);

    private static async Task<string?> MergeBaseOrNullAsync(IGit git, string checkout, string a, string b, CancellationToken cancellationToken)
    {
        try
        {
            return await git.MergeBaseAsync(checkout, a, b, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException)
        {
            return null; // a shallow checkout: unknown
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._/-]{0,254}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex BranchName();
}
