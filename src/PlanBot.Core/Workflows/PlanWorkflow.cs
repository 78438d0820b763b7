using PlanBot.Core.Runs;
using System.Diagnostics;
using PlanBot.Core.Common;
using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Graph;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Workflows;

public sealed record PlanRequest
{
    /// <summary>The working tree checked out at <see cref="HeadSha"/>; terraform runs here.</summary>
    public required IFileTree Tree { get; init; }
    /// <summary>The git checkout that holds both commits (usually the tree's own repository).</summary>
    public required string RepoDir { get; init; }
    public required string BaseSha { get; init; }
    public required string HeadSha { get; init; }
    /// <summary>The run's configuration, loaded once by <see cref="RunConfigLoader"/>.</summary>
    public required PlanBotConfig Config { get; init; }
    /// <summary>Which projects to plan: the affected ones unless named.</summary>
    public ProjectSelection Selection { get; init; } = ProjectSelection.Affected;
    /// <summary>The lock store; with an <see cref="Owner"/>, each project's lock is taken first. Null: no locking.</summary>
    public ILockStore? Locks { get; init; }
    /// <summary>Where plan files, plan JSON and terraform logs of this run are written.</summary>
    public required string ArtifactsDir { get; init; }
    /// <summary>The PR and run planning; with a lock store, each project's lock is taken for it first. Null: no locking (local CLI runs).</summary>
    public LockOwner? Owner { get; init; }
    /// <summary>Take PR project locks (a PR's plan); false for drift checks, which only take run locks.</summary>
    public bool TakeProjectLocks { get; init; } = true;
    /// <summary>The changed files when the code host listed them; null: git diff from the merge base.</summary>
    public IReadOnlyList<ChangedFile>? ChangedFiles { get; init; }
    /// <summary>A fanned-out plan's part (a matrix job's projects, or the gather's stored results); null: plan every affected project.</summary>
    public FanOutTarget? FanOut { get; init; }
    /// <summary>The tree's Terraform files read ahead (<see cref="TreeReadAhead"/>); used only when it read <see cref="Tree"/>.</summary>
    public TreeReadAhead? ReadAhead { get; init; }
}

/// <summary>
/// The plan engine: checkout → discover → affected set → graph levels → per project terraform
/// init/workspace/plan/show → summary + approval requirement, in dependency order.
/// </summary>
/// <param name="terraformFor">Creates the terraform runner for the repository's terraform settings (binary, timeouts).</param>
/// <param name="saltFor">The fingerprint salt of a repository (<see cref="FingerprintSalt.For"/> keyed by the plan key); runs without a repository (local CLI) use <see cref="FingerprintSalt.None"/>.</param>
public sealed class PlanWorkflow(Func<TerraformSettings, ITerraform> terraformFor, IGit git, IProgress<string>? progress = null, Func<string, FingerprintSalt>? saltFor = null)
{
    /// <exception cref="ConfigException">Invalid planbot.yaml, unknown depends_on, or a dependency cycle.</exception>
    /// <exception cref="UsageException">A -p name or -d dir that is not a project.</exception>
    public async Task<RunReport> RunAsync(PlanRequest request, CancellationToken cancellationToken)
    {
        var config = request.Config;
        var discovery = ProjectDiscovery.Discover(request.Tree, config, request.ReadAhead);
        var graph = ProjectGraph.Build(discovery.Projects, config.SourceFile ?? "planbot.yaml");

        var changes = request.ChangedFiles ?? await git.DiffAsync(
            request.RepoDir, await git.MergeBaseAsync(request.RepoDir, request.BaseSha, request.HeadSha, cancellationToken).ConfigureAwait(false), request.HeadSha, cancellationToken).ConfigureAwait(false);
        var changeSet = ChangeDetector.Detect(discovery, changes);
        var selected = Select(request, discovery, changeSet);
        Report($"{changes.Count} changed files; {selected.Count} of {discovery.Projects.Count} projects affected");

        var names = selected.Keys.ToHashSet(StringComparer.Ordinal);
        var levels = graph.Levels(names);
        var order = levels.SelectMany(l => l).ToArray();
        var dependencies = order.ToDictionary(n => n, n => graph.SelectedDependencies(n, names), StringComparer.Ordinal);
        for (var i = 0; i < levels.Count; i++)
        {
            Report($"level {i + 1}: {string.Join(", ", levels[i])}");
        }

        var policy = ApprovalPolicy.For(config);
        var terraform = terraformFor(config.Terraform);
        var masks = PlanDetails.CompileMasks(config.Comments.Mask);
        var locks = request.Owner is null ? null : request.Locks;
        var run = new ProjectRun(terraform, request, policy, masks, locks, config.LocksTtl);
        var runOrder = RunOrder(request.FanOut, order);
        if (locks is not null && request.Owner is { } lockOwner && request.TakeProjectLocks && request.FanOut?.Gather is null)
        {
            // Every project lock of the run is asked for at once (issue 19), not as each project starts: the PR
            // claims every project it changes, whether or not an upstream failure leaves one unplanned, and the
            // github backend writes all those queued behind its first edit in one more edit (~2 edits a run
            // instead of one per project). The first project still waits only for its own.
            var claimed = request.FanOut is { LockAll: true } ? order : runOrder;
            var taken = claimed.ToDictionary(n => n, n => Background.Observed(locks.AcquireAsync(LockKeyOf(lockOwner, selected[n].Project), lockOwner, config.LocksTtl, cancellationToken)), StringComparer.Ordinal);
            if (request.FanOut is { LockAll: true })
            {
                foreach (var name in order)
                {
                    if (await taken[name].ConfigureAwait(false) is LockResult.HeldBy held)
                    {
                        Report($"{name}: project lock held by #{held.Owner.PullRequest}; its matrix job reports it locked");
                    }
                }
            }
            else
            {
                run = run with { Taken = taken };
            }
        }

        var running = runOrder.ToHashSet(StringComparer.Ordinal);
        var scheduled = await DagScheduler.RunAsync(
            runOrder,
            n => [.. dependencies[n].Where(running.Contains)],
            config.Parallelism,
            (name, ct) => request.FanOut?.Gather is { } gather ? GatherProjectAsync(run, selected[name], gather, ct) : PlanLockedAsync(run, selected[name], ct),
            (name, reason) => new ProjectResult { Project = selected[name].Project, Status = ProjectStatus.Skipped, Error = reason, Reasons = selected[name].Reasons },
            cancellationToken).ConfigureAwait(false);
        var results = new Dictionary<string, ProjectResult>(scheduled, StringComparer.Ordinal);
        var lockWarnings = run.Taken is { } asked ? await SettleLocksAsync(asked, results).ConfigureAwait(false) : [];

        var report = new RunReport
        {
            Head = request.HeadSha,
            Base = request.BaseSha,
            Levels = levels,
            Projects = runOrder.Select(n => results[n]).ToArray(),
            Deleted = changeSet.Deleted,
            Dependencies = dependencies.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            Warnings = discovery.Warnings.Concat(graph.Warnings).Concat(lockWarnings)
                .Concat(selected.Values.SelectMany(a => a.Project.ParseErrors.Select(e => $"{a.Project.Name}: HCL syntax error at {e}")))
                .Distinct().ToArray(),
        };

        // the PR comment tells, before the merge, which readers the merge apply re-plans after which upstream
        return config.ApplyMode == ApplyMode.OnMerge && request.TakeProjectLocks
            ? report with { AfterMerge = MergeDependents.For(graph, report, config.ApplyDependents == ApplyDependents.Apply) }
            : report;
    }

    /// <summary>
    /// The projects this run plans, in run order: all of them, or a matrix job's (each of which must be
    /// affected at this head: a job of an older matrix must not plan what the PR no longer changes).
    /// </summary>
    private static IReadOnlyList<string> RunOrder(FanOutTarget? fanOut, IReadOnlyList<string> order)
    {
        if (fanOut?.Only is not { } only)
        {
            return order;
        }

        var unknown = only.Where(n => !order.Contains(n, StringComparer.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        return unknown.Length > 0
            ? throw new UsageException($"--projects names {string.Join(", ", unknown.Select(n => $"'{n}'"))}, which this head does not affect (affected: {string.Join(", ", order)}); the matrix is from another head or was edited: re-run the whole workflow")
            : [.. order.Where(only.Contains)];
    }

    /// <summary>
    /// The gather: a project's result as its matrix job stored it, the plan read again from its JSON
    /// exactly as <see cref="PlanProjectAsync"/> reads it; anything missing or refused is a failure.
    /// </summary>
    private async Task<ProjectResult> GatherProjectAsync(ProjectRun run, AffectedProject affected, Func<AffectedProject, string, CancellationToken, Task<GatheredResult>> gather, CancellationToken cancellationToken)
    {
        var project = affected.Project;
        var failed = new ProjectResult { Project = project, Status = ProjectStatus.Failed, Reasons = affected.Reasons };
        var gathered = await gather(affected, run.Request.ArtifactsDir, cancellationToken).ConfigureAwait(false);
        if (gathered.Stored is not { } stored)
        {
            Report($"{project.Name}: {gathered.Error}");
            return failed with { Error = gathered.Error ?? "no stored result" };
        }

        var result = failed with
        {
            Status = stored.Status,
            Error = stored.Error,
            Diagnostics = stored.Diagnostics,
            StateLock = stored.StateLock,
            Steps = [.. stored.Steps.Select(s => new StepReport(s.Title, s.Outcome, s.ExitCode, s.Output, TimeSpan.FromMilliseconds(s.DurationMs)))],
            Duration = TimeSpan.FromMilliseconds(stored.DurationMs),
        };
        if (!result.Succeeded)
        {
            return result;
        }

        if (gathered.PlanJsonFile is not { } jsonFile)
        {
            return failed with { Error = "its stored result says it planned but holds no plan; re-run the workflow" };
        }

        try
        {
            var salt = run.Request.Owner is { } owner && saltFor is not null ? saltFor(owner.Repo) : FingerprintSalt.None;
            var plan = await PlanReader.ReadDetailedFileAsync(jsonFile, run.Masks, salt, cancellationToken, name: $"the plan JSON of {project.Name}").ConfigureAwait(false);
            if (plan.HasChanges != (stored.Status == ProjectStatus.Planned))
            {
                return failed with { Error = "its stored result and its stored plan disagree on whether it changes anything; re-run the workflow" };
            }

            return result with { Plan = plan, Approval = run.Policy.Evaluate(project, plan), PlanJsonFile = jsonFile };
        }
        catch (PlanFormatException e)
        {
            return failed with { Error = e.Message };
        }
    }

    private static Dictionary<string, AffectedProject> Select(PlanRequest request, DiscoveryResult discovery, ChangeSet changeSet)
    {
        var selection = request.Selection;
        if (selection.IsAffected)
        {
            return changeSet.Affected.ToDictionary(a => a.Project.Name, StringComparer.Ordinal);
        }

        var result = new Dictionary<string, AffectedProject>(StringComparer.Ordinal);
        foreach (var name in Names(selection, discovery))
        {
            var project = discovery.Find(name) ?? throw new UsageException(
                $"--project '{name}' is not a project here; known projects: {string.Join(", ", discovery.Projects.Select(p => p.Name))} (see `planbot projects`)");
            result[name] = new AffectedProject(project, ["requested with --project"]);
        }

        return result;
    }

    /// <summary>The projects named with -p, then those in the dirs named with -d, or every project.</summary>
    private static IEnumerable<string> Names(ProjectSelection selection, DiscoveryResult discovery)
    {
        if (selection.All)
        {
            return discovery.Projects.Select(p => p.Name);
        }

        return selection.Names.Concat(selection.Dirs.SelectMany(dir =>
        {
            var inDir = discovery.Projects.Where(p => p.Dir == dir.Trim('/')).Select(p => p.Name).ToArray();
            return inDir.Length > 0 ? inDir
                : throw new UsageException($"-d {dir} is not a project dir here; project dirs: {string.Join(", ", discovery.Projects.Select(p => p.Dir).Distinct())}");
        }));
    }

    private void Report(string message) => progress?.Report(message);

    private sealed record ProjectRun(ITerraform Terraform, PlanRequest Request, ApprovalPolicy Policy, IReadOnlyList<System.Text.RegularExpressions.Regex> Masks, ILockStore? Locks, TimeSpan LockTtl)
    {
        /// <summary>The project locks asked for when the run started, by project name (null: each project asks as it starts).</summary>
        public IReadOnlyDictionary<string, Task<LockResult>>? Taken { get; init; }
    }

    /// <summary>
    /// Waits for the lock asks of projects that never ran (skipped for an upstream), so no lock write is
    /// still on its way when the run's comment is written (the github backend edits that same comment)
    /// or the process ends. A skipped project another PR holds says so; an ask that failed is a warning.
    /// </summary>
    private async Task<List<string>> SettleLocksAsync(IReadOnlyDictionary<string, Task<LockResult>> asked, Dictionary<string, ProjectResult> results)
    {
        var warnings = new List<string>();
        foreach (var (name, ask) in asked)
        {
            try
            {
                if (await ask.ConfigureAwait(false) is LockResult.HeldBy held && results.TryGetValue(name, out var result) && result.Status == ProjectStatus.Skipped)
                {
                    results[name] = result with { Status = ProjectStatus.Locked, Error = $"locked by #{held.Owner.PullRequest} (@{held.Owner.User}, since {held.Since:u}); {result.Error}" };
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // a project that ran met this failure already and reports it; one that never ran says it here
                if (results.TryGetValue(name, out var result) && result.Status == ProjectStatus.Skipped)
                {
                    warnings.Add($"{name}: its project lock could not be taken ({e.Message}); it was not planned ({result.Error})");
                    Report($"{name}: project lock not taken: {e.Message}");
                }
            }
        }

        return warnings;
    }

    private static LockKey LockKeyOf(LockOwner owner, Project project) => new(LockKind.Project, owner.Repo, project.Dir, project.Workspace);

    /// <summary>
    /// Takes the project lock for the PR (another PR's lock makes this project "locked by #N", the
    /// others still plan) and a run lease for the terraform steps, then plans.
    /// </summary>
    private async Task<ProjectResult> PlanLockedAsync(ProjectRun run, AffectedProject affected, CancellationToken cancellationToken)
    {
        if (run.Locks is not { } locks || run.Request.Owner is not { } owner)
        {
            return await PlanProjectAsync(run.Terraform, affected, run.Request, run.Policy, run.Masks, null, cancellationToken).ConfigureAwait(false);
        }

        var project = affected.Project;
        var key = LockKeyOf(owner, project);
        var acquired = run.Taken?.GetValueOrDefault(project.Name) ?? (run.Request.TakeProjectLocks ? locks.AcquireAsync(key, owner, run.LockTtl, cancellationToken) : null);
        if (acquired is { IsCompleted: false } && !locks.StoresRunLeases && project.Exists && StartsWithInit(project))
        {
            return await InitWhileLockAskedAsync(run, affected, locks, key, owner, acquired, cancellationToken).ConfigureAwait(false);
        }

        if (acquired is not null && await acquired.ConfigureAwait(false) is LockResult.HeldBy held)
        {
            return LockedBy(affected, held);
        }

        if (run.Request.TakeProjectLocks)
        {
            ReportHeldFor(project, owner);
        }

        var (lease, busy) = await RunLease.TakeAsync(locks, key with { Kind = LockKind.Run }, owner, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return Busy(affected, busy!);
        }

        await using (lease.ConfigureAwait(false))
        {
            return await PlanProjectAsync(run.Terraform, affected, run.Request, run.Policy, run.Masks, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The project's <c>terraform init</c> runs while its project lock is still being asked (issue 19): on
    /// the github backend the ask is two GitHub round trips, and init only prepares the working dir
    /// (providers, modules, backend) without taking a state lock. Only where run leases are stored
    /// nowhere (<see cref="ILockStore.StoresRunLeases"/>), so a PR that turns out not to hold the project
    /// never holds anything another run waits for. The lock still decides: held by another PR, the
    /// project is "locked by #N" as before; the plan and everything after it run only once this PR holds
    /// it. An init started for a project the PR did not get is let finish, never killed (a kill during a
    /// provider's unpacking could leave it broken in a shared plugin cache), and its result is not used.
    /// </summary>
    private async Task<ProjectResult> InitWhileLockAskedAsync(ProjectRun run, AffectedProject affected, ILockStore locks, LockKey key, LockOwner owner, Task<LockResult> acquired, CancellationToken cancellationToken)
    {
        var project = affected.Project;
        RunLease? lease;
        LockResult.HeldBy? busy;
        try
        {
            (lease, busy) = await RunLease.TakeAsync(locks, key with { Kind = LockKind.Run }, owner, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _ = Background.Observed(acquired); // its failure, if any, is not this one
            throw;
        }

        if (lease is null)
        {
            return await acquired.ConfigureAwait(false) is LockResult.HeldBy other ? LockedBy(affected, other) : Busy(affected, busy!);
        }

        await using (lease.ConfigureAwait(false))
        {
            var files = ProjectFiles.For(project, run.Request);
            var started = Stopwatch.GetTimestamp();
            Report($"{project.Name}: terraform init");
            var init = run.Terraform.InitAsync(files.Context, cancellationToken);
            LockResult answer;
            try
            {
                answer = await acquired.ConfigureAwait(false);
            }
            catch
            {
                await LetFinishAsync(init).ConfigureAwait(false);
                throw;
            }

            if (answer is LockResult.HeldBy held)
            {
                await LetFinishAsync(init).ConfigureAwait(false);
                return LockedBy(affected, held);
            }

            ReportHeldFor(project, owner);
            return await PlanProjectAsync(run.Terraform, affected, run.Request, run.Policy, run.Masks, new StartedInit(files, init, started), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for an init started for a project this PR did not get; whatever it ends with is not this project's result.</summary>
    private static async Task LetFinishAsync(Task<TerraformResult> init)
    {
        try
        {
            await init.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the project's result is the lock's answer; the init's own failure is in its log
        catch (Exception)
        {
        }
#pragma warning restore CA1031
    }

    /// <summary>True when the project's plan workflow starts with PlanBot's own init (not a run step of planbot.yaml).</summary>
    private static bool StartsWithInit(Project project) =>
        (project.Workflow?.Plan ?? WorkflowDefinition.DefaultPlan) is [{ Command: null, Kind: StepKind.Init }, ..];

    private void ReportHeldFor(Project project, LockOwner owner) =>
        Report($"{project.Name}: project lock held for #{owner.PullRequest} (@{owner.User}, run {owner.RunId})");

    private ProjectResult LockedBy(AffectedProject affected, LockResult.HeldBy held)
    {
        Report($"{affected.Project.Name}: project lock held by #{held.Owner.PullRequest} (@{held.Owner.User}, since {held.Since:u})");
        return new ProjectResult
        {
            Project = affected.Project,
            Status = ProjectStatus.Locked,
            Reasons = affected.Reasons,
            Error = $"locked by #{held.Owner.PullRequest} (@{held.Owner.User}, since {held.Since:u}); this PR plans it once #{held.Owner.PullRequest} is merged and applied, closed, or unlocked there with `/planbot unlock`",
        };
    }

    private static ProjectResult Busy(AffectedProject affected, LockResult.HeldBy busy) => new()
    {
        Project = affected.Project,
        Status = ProjectStatus.Locked,
        Reasons = affected.Reasons,
        Error = $"terraform is already running on this project (run {busy.Owner.RunId} of #{busy.Owner.PullRequest}); try `/planbot plan` again when it ends",
    };

    /// <summary>Where a project's plan writes (its artifacts dir, created) and the context its terraform runs in.</summary>
    private sealed record ProjectFiles(TerraformContext Context, string PlanFile, string JsonFile)
    {
        public static ProjectFiles For(Project project, PlanRequest request)
        {
            var artifacts = Path.Combine(request.ArtifactsDir, SafeName(project.Name));
            Directory.CreateDirectory(artifacts);
            var context = new TerraformContext
            {
                WorkingDir = project.Dir == RepoPath.Root ? request.Tree.Root : Path.Combine(request.Tree.Root, project.Dir),
                Workspace = project.Workspace,
                LogFile = Path.Combine(artifacts, "terraform.log"),
                Run = project.Run,
            };
            return new ProjectFiles(context, Path.Combine(artifacts, "plan.tfplan"), Path.Combine(artifacts, "plan.json"));
        }
    }

    /// <summary>The workflow's first step, init, already started (<see cref="InitWhileLockAskedAsync"/>).</summary>
    private sealed record StartedInit(ProjectFiles Files, Task<TerraformResult> Init, long Started);

    private async Task<ProjectResult> PlanProjectAsync(ITerraform terraform, AffectedProject affected, PlanRequest request, ApprovalPolicy policy, IReadOnlyList<System.Text.RegularExpressions.Regex> masks, StartedInit? startedInit, CancellationToken cancellationToken)
    {
        var project = affected.Project;
        var started = startedInit?.Started ?? Stopwatch.GetTimestamp();
        var (context, planFile, jsonFile) = startedInit?.Files ?? ProjectFiles.For(project, request);
        ProjectResult Result(ProjectStatus status) => new()
        {
            Project = project,
            Status = status,
            Reasons = affected.Reasons,
            LogFile = context.LogFile,
            Duration = Stopwatch.GetElapsedTime(started),
        };

        if (!project.Exists)
        {
            return Result(ProjectStatus.Failed) with { Error = $"{project.Dir} holds no Terraform files; fix 'dir' of project '{project.Name}' in planbot.yaml" };
        }

        // The project's workflow (planbot.yaml workflows, from the trusted side): init, plan and run steps in order.
        var steps = new List<StepReport>();
        var shown = false;
        foreach (var step in project.Workflow?.Plan ?? WorkflowDefinition.DefaultPlan)
        {
            if (step.Command is { } command)
            {
                var ran = await WorkflowSteps.RunAsync(terraform, project, context, command, steps.Count + 1, planFile, shown ? jsonFile : null, cancellationToken).ConfigureAwait(false);
                steps.Add(ran.Report);
                Report($"{project.Name}: {step.Title}: {(ran.Result.Ok ? "ok" : ran.Result.Error)}");
                if (!ran.Result.Ok)
                {
                    return Result(ProjectStatus.Failed) with { Error = WorkflowSteps.Failed(project, step, ran.Result), Steps = steps };
                }

                continue;
            }

            Task<TerraformResult> running;
            if (step.Kind == StepKind.Init && startedInit is { Init: var init })
            {
                running = init; // the first step, started while the project lock was asked
                startedInit = null;
            }
            else
            {
                Report($"{project.Name}: terraform {step.Title}");
                running = step.Kind == StepKind.Init ? terraform.InitAsync(context, cancellationToken) : terraform.PlanAsync(context, planFile, cancellationToken);
            }

            var done = await running.ConfigureAwait(false);
            if (done.Ok && step.Kind == StepKind.Init && project.Workspace != "default")
            {
                done = await terraform.SelectWorkspaceAsync(context, cancellationToken).ConfigureAwait(false);
            }

            if (!done.Ok)
            {
                Report($"{project.Name}: {done.Outcome}: {done.Error}");
                return Result(done.Outcome == TerraformOutcome.StateLocked ? ProjectStatus.Locked : ProjectStatus.Failed) with
                {
                    Error = done.Error ?? $"terraform {done.Outcome}",
                    Diagnostics = done.Diagnostics,
                    StateLock = done.StateLock,
                    Steps = steps,
                };
            }

            if (step.Kind == StepKind.Plan)
            {
                // show -json right after the plan, so a later run step (conftest, infracost) can read SHOWFILE.
                var show = await terraform.ShowJsonAsync(context, planFile, jsonFile, cancellationToken).ConfigureAwait(false);
                if (!show.Ok)
                {
                    return Result(ProjectStatus.Failed) with { Error = show.Error ?? "terraform show -json failed", Diagnostics = show.Diagnostics, Steps = steps };
                }

                shown = true;
            }
        }

        PlanSummary plan;
        try
        {
            var salt = request.Owner is { } owner && saltFor is not null ? saltFor(owner.Repo) : FingerprintSalt.None;
            plan = await PlanReader.ReadDetailedFileAsync(jsonFile, masks, salt, cancellationToken, name: $"the plan JSON of {project.Name}").ConfigureAwait(false);
        }
        catch (PlanFormatException e)
        {
            return Result(ProjectStatus.Failed) with { Error = e.Message, Steps = steps };
        }

        var status = plan.HasChanges ? ProjectStatus.Planned : ProjectStatus.NoChanges;
        Report($"{project.Name}: {(plan.HasChanges ? $"{plan.Counts.Create} to add, {plan.Counts.Update} to change, {plan.Counts.Delete} to destroy, {plan.Counts.Replace} to replace" : "no changes")}");
        return Result(status) with
        {
            Plan = plan,
            Approval = policy.Evaluate(project, plan),
            PlanFile = planFile,
            PlanJsonFile = jsonFile,
            Steps = steps,
        };
    }

    /// <summary>A file-system-safe, collision-free directory name for a project's artifacts.</summary>
    public static string SafeName(string name) =>
        string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')) + "-" +
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8];
}
