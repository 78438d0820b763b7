using PlanBot.Core.Runs;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;

namespace PlanBot.Testing;

/// <summary>
/// A checkout with no git behind it: every commit is "checked out" in one directory whose files are
/// <see cref="Files"/> (in memory) and the default branch's head is what the test says.
/// </summary>
public sealed class FakeCheckout(string root, IReadOnlyDictionary<string, string>? files = null) : IRepoCheckout
{
    public IReadOnlyDictionary<string, string> Files { get; } = files ?? new Dictionary<string, string>();

    public string? DefaultBranchHead { get; set; }

    public Task<CheckedOutTree> AtAsync(string repoDir, string sha, CancellationToken cancellationToken) => Task.FromResult(Tree());

    public Task<string> PullRequestAsync(string repo, PullRequestInfo pullRequest, CancellationToken cancellationToken) => Task.FromResult(root);

    public string? ExistingPullRequest(string repo, int pullRequest) => root;

    public Task ForgetPullRequestAsync(string repo, int pullRequest, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<CheckedOutTree> DefaultBranchAsync(string repo, string? sha, string? cloneUrl, CancellationToken cancellationToken) => Task.FromResult(Tree());

    public Task<string?> DefaultBranchHeadAsync(string repo, string? cloneUrl, CancellationToken cancellationToken) => Task.FromResult(DefaultBranchHead);

    public IFileTree TreeOf(string path) => new MemoryFileTree(Files, path);

    private CheckedOutTree Tree() => new(root, root, TreeOf(root));
}

/// <summary>A plan runner for workflows that must not plan: it fails the test if they do.</summary>
public sealed class NoPlanning(string why) : IPlanRunner
{
    public Task<RunReport> PlanAsync(PlanTarget target, PlanBotConfig config, ILockStore? locks, CancellationToken cancellationToken) =>
        throw new InvalidOperationException(why);
}
