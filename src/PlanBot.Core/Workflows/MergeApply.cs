using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Graph;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;

namespace PlanBot.Core.Workflows;

/// <summary>What a merge apply reads beyond the PR: stored plans, git (to compare inputs), the merged tree, terraform.</summary>
/// <param name="SaltFor">
/// The fingerprint salt of a repository, as the plan run used it (<see cref="FingerprintSalt.For"/>
/// keyed by the plan key): a stored plan file's fingerprint is derived again with it before it is
/// applied. Null: <see cref="FingerprintSalt.None"/> (a plan holding a sensitive value then never matches, and is refused).
/// </param>
public sealed record MergeSources(IPlanStore Plans, IGit Git, IRepoCheckout Checkout, ITerraform Terraform, Func<string, FingerprintSalt>? SaltFor = null);

/// <summary>One merge to apply: the PR's recorded plan and who approved it.</summary>
internal sealed record MergeRun
{
    public required PullRequestContext Context { get; init; }
    public required int PullRequest { get; init; }
    public required string Sha { get; init; }
    public required LockOwner Owner { get; init; }
    public required PlanBotConfig Config { get; init; }
    public required PlanMeta Planned { get; init; }
    /// <summary>The projects whose approval counts (enough approvers for the recorded plan).</summary>
    public required IReadOnlySet<string> Approved { get; init; }
    /// <summary>Why the merge is no longer the default branch's head, or null; asked right before each project's apply (a merged PR's apply; null: not asked).</summary>
    public Func<CancellationToken, Task<string?>>? MovedOn { get; init; }
}

/// <summary>The results in the order projects ran, and the new plans of what waits (held back, or a dependent to approve).</summary>
internal sealed record MergeOutcome(IReadOnlyList<ApplyResult> Results, IReadOnlyList<ProjectResult> Waiting, IReadOnlyDictionary<string, Project> Projects);

/// <summary>
/// The merge apply, layer by layer (PRODUCT.md "Apply exactly what was approved", "Dependents see new
/// outputs"). Per project, after every project it reads from has run:
/// <list type="bullet">
/// <item>inputs byte-identical between the planned head and the merge commit (its dir, local modules,
/// when_modified files, var files, planbot.yaml), a stored plan whose fingerprint is the recorded one,
/// and no upstream applied in this run: that stored plan file is applied (terraform refuses it when
/// the state moved: then re-plan), once the fingerprint derived from the file itself
/// (<c>terraform show -json</c>) is the approved one: the summary beside it and the object's
/// SHA-256 are only as trustworthy as whoever can write the store, so a file swapped for another
/// plan is refused, nothing applied;</item>
/// <item>otherwise the merge commit is re-planned and applied when its fingerprint is the approved one
/// or the project needs no approval; else held back, naming the resources and attributes that differ;</item>
/// <item>after a project applies, the projects that read it (depends_on, terraform_remote_state;
/// touched by the PR or not) join the run and are re-planned against its new state: applied when
/// <c>apply.dependents: apply</c> and no approval is needed, else they wait on the merged PR.</item>
/// </list>
/// </summary>
internal sealed class MergeApply(IPlanRunner planner, ApplyWorkflow apply, ILockStore locks, MergeSources sources, IProgress<string>? progress)
{
    public async Task<MergeOutcome> RunAsync(MergeRun run, CancellationToken cancellationToken)
    {
        var root = run.Context.RepoDir;
        var discovery = ProjectDiscovery.Discover(sources.Checkout.TreeOf(root), run.Config);
        var graph = ProjectGraph.Build(discovery.Projects, run.Config.SourceFile ?? "planbot.yaml");
        var (changed, changedWhy) = await ChangedInputsAsync(discovery, run, cancellationToken).ConfigureAwait(false);
        var results = new Dictionary<string, ApplyResult>(StringComparer.Ordinal);
        var order = new List<string>();
        var work = new List<string>();
        var upstreamOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var waiting = new Dictionary<string, ProjectResult>(StringComparer.Ordinal);
        foreach (var name in run.Planned.Fingerprints.Keys.Where(k => k != PolicyApproval.Item).Order(StringComparer.Ordinal))
        {
            if (discovery.Find(name) is null)
            {
                results[name] = new ApplyResult(name, ApplyStatus.Failed, "it is no longer a project at the merge commit; nothing was applied");
                order.Add(name);
            }
            else
            {
                work.Add(name);
            }
        }

        while (true)
        {
            var workSet = work.ToHashSet(StringComparer.Ordinal);
            var ready = work.Where(n => !results.ContainsKey(n) && graph.SelectedDependencies(n, workSet).All(results.ContainsKey)).ToArray();
            if (ready.Length == 0)
            {
                break;
            }

            progress?.Report($"apply layer: {string.Join(", ", ready)}");
            using var slots = new SemaphoreSlim(Math.Max(1, run.Config.Parallelism));
            var round = await Task.WhenAll(ready.Select(async name =>
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var blocked = graph.SelectedDependencies(name, workSet).FirstOrDefault(d => !results[d].Succeeded);
                    if (blocked is not null)
                    {
                        return (new ApplyResult(name, ApplyStatus.Skipped, $"depends on {blocked}, which was not applied") { After = upstreamOf.GetValueOrDefault(name) }, (ProjectResult?)null);
                    }

                    var project = discovery.Find(name)!;
                    var upstreamApplied = graph.SelectedDependencies(name, workSet).FirstOrDefault(d => results[d].Status == ApplyStatus.Applied);
                    return upstreamOf.TryGetValue(name, out var upstream)
                        ? await DependentAsync(run, project, upstream, cancellationToken).ConfigureAwait(false)
                        : await PullRequestProjectAsync(run, project, changed is null ? changedWhy : changed.GetValueOrDefault(name), upstreamApplied, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            })).ConfigureAwait(false);

            foreach (var (name, (result, plan)) in ready.Zip(round))
            {
                results[name] = result;
                order.Add(name);
                if (plan is not null)
                {
                    waiting[name] = plan;
                }

                if (result.Status != ApplyStatus.Applied)
                {
                    continue;
                }

                // Its consumers read its new outputs: they run next, planned against the new state.
                foreach (var dependent in graph.DependentsOf(name).Select(e => e.From).Where(d => !workSet.Contains(d) && !upstreamOf.ContainsKey(d)))
                {
                    upstreamOf[dependent] = name;
                    work.Add(dependent);
                }
            }
        }

        return new MergeOutcome([.. order.Select(n => results[n])], [.. waiting.Values], discovery.Projects.ToDictionary(p => p.Name, StringComparer.Ordinal));
    }

    /// <summary>One of the PR's projects: its stored plan when nothing it is made of changed, else a re-plan judged by its fingerprint.</summary>
    private async Task<(ApplyResult, ProjectResult?)> PullRequestProjectAsync(MergeRun run, Project project, string? inputsChanged, string? upstreamApplied, CancellationToken cancellationToken)
    {
        var name = project.Name;
        var recorded = run.Planned.Fingerprints[name];
        var key = new PlanKey(run.Context.Repo, run.PullRequest, run.Planned.Head, name);
        StoredPlan? stored = null;
        StoredPlanSummary? summary = null;
        string? why;
        try
        {
            stored = await sources.Plans.GetAsync(key, cancellationToken).ConfigureAwait(false);
            summary = stored is null ? null : StoredPlanSummary.Parse(stored.SummaryJson);
            why = stored is null ? "no stored plan for the planned head (with `plans.store: local` in GitHub Actions the plan does not outlive its run)"
                : summary is null || summary.Fingerprint != recorded ? "the stored plan is not the one recorded for the pull request"
                : inputsChanged is not null ? inputsChanged
                : upstreamApplied is not null ? $"{upstreamApplied} applied first: re-planned against its new outputs"
                : null;
        }
        catch (PlanIntegrityException e)
        {
            why = "the stored plan was refused: " + e.Message;
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            why = $"the plan store could not be read ({e.GetType().Name}: {e.Message})";
        }

        var requiredAtPr = run.Planned.Required.Contains(name);
        if (why is null)
        {
            progress?.Report($"{name}: inputs unchanged since {Naming.ShortSha(run.Planned.Head)}: applying the stored plan");
            if ((requiredAtPr || summary!.ApprovalRequired) && !run.Approved.Contains(name))
            {
                return (new ApplyResult(name, ApplyStatus.HeldBack, "its plan was not approved"), null);
            }

            if (await MovedOnAsync(run, cancellationToken).ConfigureAwait(false) is { } movedOn)
            {
                return (new ApplyResult(name, ApplyStatus.Failed, movedOn), null);
            }

            var (applied, refused) = await ApplyStoredAsync(run, project, stored!, recorded, cancellationToken).ConfigureAwait(false);
            if (refused is not null)
            {
                // not terraform's refusal: the file is not the approved plan. Someone wrote the store; a re-plan would hide that.
                progress?.Report($"{name}: {refused}");
                return (new ApplyResult(name, ApplyStatus.Failed, refused) { Source = ApplySource.StoredPlan }, null);
            }

            if (applied.Ok)
            {
                return (new ApplyResult(name, ApplyStatus.Applied, null, summary!.Counts) { Source = ApplySource.StoredPlan }, null);
            }

            if (!IsStale(applied))
            {
                return (new ApplyResult(name, ApplyStatus.Failed, applied.Error ?? $"terraform apply {applied.Outcome}") { Source = ApplySource.StoredPlan }, null);
            }

            why = "terraform refused the stored plan as stale (the state changed after it was made)";
        }

        progress?.Report($"{name}: re-planning the merged commit: {why}");
        var (replan, failed) = await ReplanAsync(run, name, takeProjectLock: true, cancellationToken).ConfigureAwait(false);
        if (replan is null)
        {
            return (new ApplyResult(name, ApplyStatus.Failed, failed), null);
        }

        if (!replan.Plan!.HasChanges)
        {
            return (new ApplyResult(name, ApplyStatus.NoChanges) { Source = ApplySource.Replan }, null);
        }

        var required = requiredAtPr || replan.Approval.Required;
        if (required && !run.Approved.Contains(name))
        {
            return (new ApplyResult(name, ApplyStatus.HeldBack, "its plan was not approved"), replan);
        }

        if (required && replan.Plan.Fingerprint != recorded)
        {
            var differences = summary is null
                ? ["(no stored plan of the approved head to compare with attribute by attribute)"]
                : PlanValues.Differences(summary.Values, await PlanValues.ReadFileAsync(replan.PlanJsonFile!, cancellationToken).ConfigureAwait(false));
            return (new ApplyResult(name, ApplyStatus.HeldBack, $"the plan of the merged commit differs from the one approved (approved `{PlanFingerprint.Short(recorded)}`, now `{PlanFingerprint.Short(replan.Plan.Fingerprint)}`)")
            {
                Differences = differences,
            }, replan);
        }

        var result = await ApplyPlannedAsync(run, replan, cancellationToken).ConfigureAwait(false);
        return (result with { Detail = result.Status == ApplyStatus.Applied ? why : result.Detail, Source = ApplySource.Replan }, null);
    }

    /// <summary>A project that reads one that just applied: re-planned against the new state, applied only when allowed.</summary>
    private async Task<(ApplyResult, ProjectResult?)> DependentAsync(MergeRun run, Project project, string upstream, CancellationToken cancellationToken)
    {
        var name = project.Name;
        progress?.Report($"{name}: reads {upstream}, which applied: re-planning it against the new state");
        var (replan, failed) = await ReplanAsync(run, name, takeProjectLock: false, cancellationToken).ConfigureAwait(false);
        if (replan is null)
        {
            return (new ApplyResult(name, ApplyStatus.Failed, failed) { After = upstream }, null);
        }

        if (!replan.Plan!.HasChanges)
        {
            return (new ApplyResult(name, ApplyStatus.NoChanges) { After = upstream, Source = ApplySource.Replan }, null);
        }

        if (replan.Approval.Required)
        {
            return (new ApplyResult(name, ApplyStatus.Planned, $"needs approval ({string.Join(", ", replan.Approval.Reasons)})", replan.Plan.Counts) { After = upstream }, replan);
        }

        if (run.Config.ApplyDependents == ApplyDependents.Plan)
        {
            return (new ApplyResult(name, ApplyStatus.Planned, "planned (`apply.dependents: plan`)", replan.Plan.Counts) { After = upstream }, replan);
        }

        var result = await ApplyPlannedAsync(run, replan, cancellationToken).ConfigureAwait(false);
        return (result with { After = upstream, Source = ApplySource.Replan }, null);
    }

    private async Task<(ProjectResult? Plan, string Error)> ReplanAsync(MergeRun run, string name, bool takeProjectLock, CancellationToken cancellationToken)
    {
        var target = new PlanTarget
        {
            RepoDir = run.Context.RepoDir,
            BaseRef = run.Sha,
            HeadRef = run.Sha,
            Selection = ProjectSelection.Of([name]),
            Owner = run.Owner,
            ChangedFiles = [],
            TakeProjectLocks = takeProjectLock,
        };
        RunReport report;
        try
        {
            report = await planner.PlanAsync(target, run.Config, locks, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            return (null, "the merged commit could not be planned: " + e.Message);
        }

        var planned = report.Projects.Single();
        return planned is { Succeeded: true, Plan: not null, PlanFile: not null }
            ? (planned, "")
            : (null, "the merged commit could not be planned: " + (planned.Error ?? planned.Status.ToString()));
    }

    /// <summary>
    /// Why nothing more is applied: the default branch moved on since the merge (a merged PR's apply
    /// re-checks right before each project's apply), or null.
    /// </summary>
    private static async Task<string?> MovedOnAsync(MergeRun run, CancellationToken cancellationToken) =>
        run.MovedOn is { } check && await check(cancellationToken).ConfigureAwait(false) is { } why
            ? $"not applied: {why} (applying an older merge after a newer one would undo it); nothing was applied for it"
            : null;

    /// <summary>Applies a re-plan's own plan file (under the project's run lease, terraform's stale-plan check included).</summary>
    private async Task<ApplyResult> ApplyPlannedAsync(MergeRun run, ProjectResult planned, CancellationToken cancellationToken)
    {
        if (await MovedOnAsync(run, cancellationToken).ConfigureAwait(false) is { } movedOn)
        {
            return new ApplyResult(planned.Project.Name, ApplyStatus.Failed, movedOn);
        }

        var report = new RunReport { Head = run.Sha, Base = run.Sha, Levels = [[planned.Project.Name]], Projects = [planned] };
        var expected = new Dictionary<string, string?>(StringComparer.Ordinal) { [planned.Project.Name] = planned.Plan!.Fingerprint };
        return (await apply.RunAsync(report, run.Context.RepoDir, expected, 1, cancellationToken, locks, run.Owner).ConfigureAwait(false)).Single();
    }

    /// <summary>
    /// terraform init (and workspace) in the merged tree, then <c>terraform show -json STORED.tfplan</c>
    /// and its content fingerprint derived as the plan run derived the approved one; only when that is
    /// <paramref name="approved"/>, <c>terraform apply STORED.tfplan</c>. Under the project's run lease.
    /// </summary>
    /// <returns>terraform's result, or why the file was refused before terraform apply ran.</returns>
    private async Task<(TerraformResult Applied, string? Refused)> ApplyStoredAsync(MergeRun run, Project project, StoredPlan stored, string approved, CancellationToken cancellationToken)
    {
        var (lease, busy) = await RunLease.TakeAsync(locks, new LockKey(LockKind.Run, run.Owner.Repo, project.Dir, project.Workspace), run.Owner, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return (new TerraformResult { Outcome = TerraformOutcome.Failed, Error = $"terraform is already running on this project (run {busy!.Owner.RunId}); nothing was applied" }, null);
        }

        await using (lease.ConfigureAwait(false))
        {
            // The plan file holds secrets: a private directory (0700), removed when done.
            var scratch = Directory.CreateTempSubdirectory("planbot-stored-");
            try
            {
                var planFile = Path.Combine(scratch.FullName, "stored.tfplan");
                await File.WriteAllBytesAsync(planFile, stored.PlanFile, cancellationToken).ConfigureAwait(false);
                var context = new TerraformContext
                {
                    WorkingDir = project.Dir == RepoPath.Root ? run.Context.RepoDir : Path.Combine(run.Context.RepoDir, project.Dir),
                    Workspace = project.Workspace,
                    LogFile = Path.Combine(scratch.FullName, "apply.log"),
                    Run = project.Run,
                };
                var step = await sources.Terraform.InitAsync(context, cancellationToken).ConfigureAwait(false);
                if (step.Ok && project.Workspace != "default")
                {
                    step = await sources.Terraform.SelectWorkspaceAsync(context, cancellationToken).ConfigureAwait(false);
                }

                if (!step.Ok)
                {
                    return (step, null);
                }

                var derived = await FingerprintOfAsync(run, project, context, planFile, Path.Combine(scratch.FullName, "stored.json"), cancellationToken).ConfigureAwait(false);
                if (derived.Fingerprint != approved)
                {
                    return (step, derived.Fingerprint is null
                        ? $"the stored plan file of `{project.Name}` could not be read back to check it is the approved plan (`{PlanFingerprint.Short(approved)}`): {derived.Error}; nothing was applied"
                        : $"the stored plan file of `{project.Name}` is not the approved plan: its content fingerprint is `{PlanFingerprint.Short(derived.Fingerprint)}`, the approved one `{PlanFingerprint.Short(approved)}` " +
                          "(the plan store was written after the plan: check who can write it); nothing was applied, and the project keeps its lock");
                }

                return (await sources.Terraform.ApplyAsync(context, planFile, cancellationToken).ConfigureAwait(false), null);
            }
            finally
            {
                scratch.Delete(recursive: true);
            }
        }
    }

    /// <summary>The content fingerprint of a plan file, from its <c>terraform show -json</c>, with the salt the plan run used; or why it could not be read.</summary>
    private async Task<(string? Fingerprint, string? Error)> FingerprintOfAsync(MergeRun run, Project project, TerraformContext context, string planFile, string jsonFile, CancellationToken cancellationToken)
    {
        var shown = await sources.Terraform.ShowJsonAsync(context, planFile, jsonFile, cancellationToken).ConfigureAwait(false);
        if (!shown.Ok)
        {
            return (null, "terraform show -json failed: " + (shown.Error ?? shown.Outcome.ToString()));
        }

        try
        {
            var salt = sources.SaltFor?.Invoke(run.Owner.Repo) ?? FingerprintSalt.None;
            return ((await PlanReader.ReadFileAsync(jsonFile, salt, cancellationToken).ConfigureAwait(false)).Fingerprint, null);
        }
        catch (PlanFormatException e)
        {
            return (null, e.Message.Replace(jsonFile, $"the stored plan of {project.Name}", StringComparison.Ordinal));
        }
    }

    private static bool IsStale(TerraformResult applied) =>
        (applied.Diagnostics ?? applied.Error ?? "").Contains("Saved plan is stale", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The projects whose inputs differ between the planned head and the merge commit, each with why;
    /// null (every project, for the reason given) when that cannot be told file by file.
    /// </summary>
    private async Task<(IReadOnlyDictionary<string, string>? Changed, string Why)> ChangedInputsAsync(DiscoveryResult discovery, MergeRun run, CancellationToken cancellationToken)
    {
        var head = run.Planned.Head;
        if (head == run.Sha)
        {
            return (new Dictionary<string, string>(), "");
        }

        IReadOnlyList<ChangedFile> diff;
        try
        {
            diff = await sources.Git.DiffAsync(run.Context.RepoDir, head, run.Sha, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            return (null, $"the planned head `{Naming.ShortSha(head)}` is not in this checkout, so its inputs cannot be compared (check out with `fetch-depth: 0`)");
        }

        if (diff.FirstOrDefault(f => Path.GetFileName(f.Path) is "planbot.yaml" or "planbot.yml") is { } config)
        {
            return (null, $"{config.Path} differs between the planned head `{Naming.ShortSha(head)}` and the merge commit");
        }

        var changed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var affected in ChangeDetector.Detect(discovery, diff).Affected)
        {
            changed[affected.Project.Name] = $"its inputs differ between the planned head `{Naming.ShortSha(head)}` and the merge commit";
        }

        var paths = diff.SelectMany(f => f.OldPath is null ? [f.Path] : new[] { f.Path, f.OldPath }).ToHashSet(StringComparer.Ordinal);
        foreach (var project in discovery.Projects.Where(p => p.Run.VarFiles.Any(v => paths.Contains(Normalize(project: p.Dir, v)))))
        {
            changed[project.Name] = $"a var file of it differs between the planned head `{Naming.ShortSha(head)}` and the merge commit";
        }

        return (changed, "");
    }

    /// <summary>A var file path (relative to the project dir) as a repository path: <c>envs/prod</c> + <c>../common.tfvars</c> → <c>envs/common.tfvars</c>.</summary>
    private static string Normalize(string project, string path)
    {
        var parts = new List<string>();
        foreach (var part in (project == RepoPath.Root ? path : project + "/" + path).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return string.Join('/', parts);
    }
}
