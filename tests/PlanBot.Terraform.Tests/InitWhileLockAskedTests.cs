using PlanBot.Core.Config;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Terraform.Tests;

/// <summary>
/// On a backend that stores no run leases (the github backend, where the ask is two GitHub round trips),
/// a project's terraform init starts while its project lock is still being asked (issue 19); the lock
/// still decides whether the project is planned, and nothing past init runs before this PR holds it.
/// </summary>
public sealed class InitWhileLockAskedTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private static readonly LockOwner Pr = new("acme/infra", 7, new string('b', 40), "alice", "run-7");
    private static readonly LockOwner Other = new("acme/infra", 23, new string('c', 40), "bob", "run-23");

    [Fact]
    public async Task Init_starts_before_the_lock_answers_and_the_plan_only_after()
    {
        using var scenario = await ScenarioAsync("projects:\n  - dir: app\n");
        var locks = new GatedLockStore();
        var terraform = new RecordingTerraform(locks);

        var run = scenario.PlanChangeAsync(Change, terraform: terraform, owner: Pr, locks: locks);
        await terraform.InitStarted.Task.WaitAsync(Guard);
        terraform.Calls.ShouldBe(["init while the lock was asked"]);

        locks.Answer();
        var app = (await run.WaitAsync(Guard)).Projects.Single();

        app.Status.ShouldBe(ProjectStatus.NoChanges, app.Error);
        terraform.Calls.ShouldBe(["init while the lock was asked", "plan after the lock", "show after the lock"]);
        (await locks.ListAsync("acme/infra", CancellationToken.None)).Single(l => l.Key.Kind == LockKind.Project).Owner.PullRequest.ShouldBe(7);
    }

    [Fact]
    public async Task Another_PRs_lock_lets_the_started_init_finish_and_the_project_is_locked_as_before()
    {
        using var scenario = await ScenarioAsync("projects:\n  - dir: app\n");
        var locks = new GatedLockStore();
        (await locks.Inner.AcquireAsync(new LockKey(LockKind.Project, "acme/infra", "app", "default"), Other, TimeSpan.FromHours(1), CancellationToken.None)).ShouldBeOfType<LockResult.Acquired>();
        var terraform = new RecordingTerraform(locks) { InitWaits = true };

        var run = scenario.PlanChangeAsync(Change, terraform: terraform, owner: Pr, locks: locks);
        await terraform.InitStarted.Task.WaitAsync(Guard);
        locks.Answer();
        terraform.LetInitEnd();
        var app = (await run.WaitAsync(Guard)).Projects.Single();

        app.Status.ShouldBe(ProjectStatus.Locked);
        app.Error.ShouldStartWith("locked by #23 (@bob, since ");
        app.Steps.ShouldBeEmpty();
        terraform.Calls.ShouldBe(["init while the lock was asked", "init ended"], "never killed: a kill mid-unpack could break a shared plugin cache");
    }

    [Fact]
    public async Task A_failed_lock_ask_lets_the_started_init_finish_and_fails_as_before()
    {
        using var scenario = await ScenarioAsync("projects:\n  - dir: app\n");
        var locks = new GatedLockStore();
        var terraform = new RecordingTerraform(locks) { InitWaits = true, InitFails = true };

        var run = scenario.PlanChangeAsync(Change, terraform: terraform, owner: Pr, locks: locks);
        await terraform.InitStarted.Task.WaitAsync(Guard);
        locks.Fail(new IOException("the lock backend is down"));
        terraform.LetInitEnd();

        (await Should.ThrowAsync<IOException>(() => run.WaitAsync(Guard))).Message.ShouldBe("the lock backend is down", "the init's own failure does not replace it");
        terraform.Calls.ShouldBe(["init while the lock was asked", "init ended"]);
    }

    [Fact]
    public async Task A_backend_that_stores_run_leases_and_a_dir_without_terraform_files_init_only_after_the_lock()
    {
        using var scenario = await ScenarioAsync("projects:\n  - dir: app\n  - dir: typo\n");
        var locks = new GatedLockStore { StoresLeases = true };
        var terraform = new RecordingTerraform(locks);

        var run = scenario.PlanChangeAsync(Change, terraform: terraform, owner: Pr, locks: locks);
        await locks.Asked.Task.WaitAsync(Guard);
        locks.Answer();
        var report = await run.WaitAsync(Guard);

        report.Projects.Single(p => p.Project.Name == "app").Status.ShouldBe(ProjectStatus.NoChanges);
        report.Projects.Single(p => p.Project.Name == "typo").Error.ShouldStartWith("typo holds no Terraform files");
        terraform.Calls.ShouldBe(["init after the lock", "plan after the lock", "show after the lock"], "a lease a run can wait on is never held by a PR without the lock");
    }

    [Fact]
    public async Task A_dir_without_terraform_files_starts_no_init()
    {
        using var scenario = await ScenarioAsync("projects:\n  - dir: typo\n");
        var locks = new GatedLockStore();
        var terraform = new RecordingTerraform(locks);

        var run = scenario.PlanChangeAsync(new Dictionary<string, string?> { ["planbot.yaml"] = "projects:\n  - dir: typo\n# changed\n" }, terraform: terraform, owner: Pr, locks: locks);
        await locks.Asked.Task.WaitAsync(Guard);
        locks.Answer();
        var typo = (await run.WaitAsync(Guard)).Projects.Single();

        typo.Error.ShouldStartWith("typo holds no Terraform files");
        terraform.Calls.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_workflow_that_starts_with_its_own_step_runs_nothing_before_the_lock()
    {
        using var scenario = await ScenarioAsync("""
            projects:
              - dir: app
            workflows:
              default:
                plan:
                  - { run: [first-step], name: first }
                  - init
                  - plan
            """);
        var locks = new GatedLockStore();
        var terraform = new RecordingTerraform(locks);

        var run = scenario.PlanChangeAsync(Change, terraform: terraform, owner: Pr, locks: locks);
        await locks.Asked.Task.WaitAsync(Guard);
        locks.Answer();
        var app = (await run.WaitAsync(Guard)).Projects.Single();

        app.Status.ShouldBe(ProjectStatus.NoChanges, app.Error);
        app.Steps.Select(s => (s.Title, s.Ok)).ShouldBe([("run first", true)]);
        terraform.Calls.ShouldBe(["run after the lock", "init after the lock", "plan after the lock", "show after the lock"]);
    }

    private static readonly Dictionary<string, string?> Change = new() { ["app/main.tf"] = LocalBackend + Resource("a", "two") };

    private static Task<Scenario> ScenarioAsync(string yaml) => Scenario.CreateAsync(new Dictionary<string, string>
    {
        ["planbot.yaml"] = yaml,
        ["app/main.tf"] = LocalBackend + Resource("a", "one"),
    });

    /// <summary>An in-memory store whose project-lock asks wait until the test answers them (run leases answer at once).</summary>
    private sealed class GatedLockStore : ILockStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public InMemoryLockStore Inner { get; } = new();

        /// <summary>Set when the first project lock is asked.</summary>
        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Answered => _gate.Task.IsCompleted;

        /// <summary>False (the default here) is the github backend's answer: run leases stored nowhere.</summary>
        public bool StoresLeases { get; init; }

        public bool StoresRunLeases => StoresLeases;

        public void Answer() => _gate.SetResult();

        public void Fail(Exception e) => _gate.SetException(e);

        public async Task<LockResult> AcquireAsync(LockKey key, LockOwner owner, TimeSpan ttl, CancellationToken cancellationToken)
        {
            if (key.Kind == LockKind.Project)
            {
                Asked.TrySetResult();
                await _gate.Task.WaitAsync(cancellationToken);
            }

            return await Inner.AcquireAsync(key, owner, ttl, cancellationToken);
        }

        public Task<LockResult> ReleaseAsync(LockKey key, LockOwner owner, CancellationToken cancellationToken) => Inner.ReleaseAsync(key, owner, cancellationToken);

        public Task<IReadOnlyList<LockRecord>> ListAsync(string? repo, CancellationToken cancellationToken) => Inner.ListAsync(repo, cancellationToken);
    }

    /// <summary>Records each terraform step and whether the project lock had answered when it started.</summary>
    private sealed class RecordingTerraform(GatedLockStore locks) : ITerraform
    {
        private readonly FakeTerraform _fake = new();
        private readonly TaskCompletionSource _initMayEnd = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource InitStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Init runs until the test lets it end (a slow provider download), then records how it ended.</summary>
        public bool InitWaits { get; init; }

        /// <summary>Init ends failed (and throws), as a broken backend config would make it.</summary>
        public bool InitFails { get; init; }

        public List<string> Calls { get; } = [];

        public void LetInitEnd() => _initMayEnd.SetResult();

        public async Task<TerraformResult> InitAsync(TerraformContext context, CancellationToken cancellationToken)
        {
            Record("init");
            InitStarted.TrySetResult();
            if (!InitWaits)
            {
                return await _fake.InitAsync(context, cancellationToken);
            }

            try
            {
                await _initMayEnd.Task.WaitAsync(cancellationToken);
                Add("init ended");
            }
            catch (OperationCanceledException)
            {
                Add("init stopped");
                throw;
            }

            return InitFails ? throw new IOException("init could not write its log") : new TerraformResult { Outcome = TerraformOutcome.Succeeded };
        }

        public Task<TerraformResult> SelectWorkspaceAsync(TerraformContext context, CancellationToken cancellationToken) => _fake.SelectWorkspaceAsync(context, cancellationToken);

        public Task<TerraformResult> PlanAsync(TerraformContext context, string planFile, CancellationToken cancellationToken)
        {
            Record("plan");
            return _fake.PlanAsync(context, planFile, cancellationToken);
        }

        public Task<TerraformResult> ShowJsonAsync(TerraformContext context, string planFile, string jsonFile, CancellationToken cancellationToken)
        {
            Record("show");
            return _fake.ShowJsonAsync(context, planFile, jsonFile, cancellationToken);
        }

        public Task<TerraformResult> RunStepAsync(TerraformContext context, RunStep step, CancellationToken cancellationToken)
        {
            Record("run");
            return Task.FromResult(new TerraformResult { Outcome = TerraformOutcome.Succeeded });
        }

        public Task<TerraformResult> ApplyAsync(TerraformContext context, string planFile, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a plan applies nothing");

        private void Record(string step) => Add($"{step} {(locks.Answered ? "after the lock" : "while the lock was asked")}");

        private void Add(string call)
        {
            lock (Calls)
            {
                Calls.Add(call);
            }
        }
    }
}
