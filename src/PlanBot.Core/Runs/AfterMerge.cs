namespace PlanBot.Core.Runs;

/// <summary>A project the merge apply re-plans against the new state once <see cref="Upstream"/> applies.</summary>
/// <param name="Via">What makes it read the upstream: <c>depends_on</c> or <c>terraform_remote_state.NAME</c>.</param>
/// <param name="InPullRequest">One of the pull request's own projects (re-planned instead of applying its stored plan).</param>
public sealed record DependentReplan(string Upstream, string Dependent, string Via, bool InPullRequest);

/// <summary>
/// What the PR comment says will happen after the merge (PRODUCT.md "Dependents see new outputs"),
/// worked out from the dependency graph the merge apply walks (Workflows/MergeDependents.cs).
/// </summary>
/// <param name="ApplyDependents">True with <c>apply.dependents: apply</c>: a dependent needing no approval applies at once.</param>
public sealed record AfterMerge(IReadOnlyList<DependentReplan> Replans, bool ApplyDependents);
