using System.Collections.Frozen;
using PlanBot.Core.Plans.Values;
using PlanBot.Core.Workflows;
using PlanBot.Core.Common;

namespace PlanBot.Hosting;

/// <summary>
/// Everything PlanBot takes from its environment: the Action's inputs (action.yml maps them to
/// PLANBOT_* variables), what GitHub Actions sets (GITHUB_*, RUNNER_TEMP), the service's settings and
/// the cloud credentials' region and key. This is the only code that reads environment variables:
/// everything else is handed these values, so tests build a settings record instead of changing the
/// process environment.
/// </summary>
public sealed record PlanBotSettings
{
    /// <summary>Which host runs the engine: the CLI, the Action (`planbot run`) or the service (`planbot serve`).</summary>
    public PlanBotHost Host { get; init; } = PlanBotHost.Local;

    /// <summary>PLANBOT_DATA_DIR, else RUNNER_TEMP/.planbot in GitHub Actions, else ./.planbot: plans, logs, worktrees, state and the provider cache. Decided here, once.</summary>
    public required string DataDir { get; init; }

    /// <summary>PLANBOT_CONFIG_DIR (the Action's config-path): where planbot.yaml is, relative to the checkout; null: the checkout's root.</summary>
    public string? ConfigDir { get; init; }

    /// <summary>PLANBOT_POLICY_FILE (the Action's policy-file; `planbot serve --policy`): the operator's server policy, outside every repository.</summary>
    public string? PolicyFile { get; init; }

    /// <summary>The server policy read from <see cref="PolicyFile"/> at start (<see cref="PlanBotServices.WithServerPolicy"/>); null: none.</summary>
    public Core.Config.ServerPolicy? Policy { get; init; }

    /// <summary>PLANBOT_TERRAFORM_BINARY (the Action's terraform-binary): overrides terraform.binary of planbot.yaml.</summary>
    public string? TerraformBinary { get; init; }

    /// <summary>TF_PLUGIN_CACHE_DIR, else DataDir/plugin-cache.</summary>
    public string? PluginCacheDir { get; init; }

    /// <summary>PLANBOT_PLAN_KEY: base64 AES-256 key that encrypts stored plans.</summary>
    public string? PlanKey { get; init; }

    public GitHubSettings GitHub { get; init; } = new();

    public ActionSettings Action { get; init; } = new();

    public ServiceSettings Service { get; init; } = new();

    public CloudSettings Cloud { get; init; } = new();

    /// <summary>
    /// The runner's environment as PlanBot found it, frozen: the environment terraform and every
    /// project command start from (minus PlanBot's credentials, <c>OwnSecrets.Withheld</c>), and where a
    /// project's <c>env: {NAME: {from: VAR}}</c> reads VAR. Null when the settings were built from
    /// named variables only (<see cref="From(Func{string, string?})"/>): then a child inherits this
    /// process's environment, still without PlanBot's credentials, and <c>from:</c> finds nothing.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Runner { get; init; }

    /// <summary>
    /// The values masked in everything PlanBot writes (logs, files, GitHub request bodies): PlanBot's
    /// own credentials and every variable named like one (<c>OwnSecrets.Values</c>), taken once with the settings.
    /// </summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>
    /// PLANBOT_TRACE_STARTUP=1: each phase of a command (and each git call) is written to stderr with
    /// the time, CPU and JIT-compiled methods since the process started, to find where start-up goes (issue 19).
    /// </summary>
    public bool TraceStartup { get; init; }

    /// <summary>The plugin cache terraform uses: TF_PLUGIN_CACHE_DIR, else one under the data dir.</summary>
    public string EffectivePluginCacheDir => PluginCacheDir ?? Path.Combine(DataDir, "plugin-cache");

    /// <summary>Reads the process environment, once (the one place that does): a frozen snapshot, see <see cref="From(IReadOnlyDictionary{string, string})"/>.</summary>
    public static PlanBotSettings FromEnvironment()
    {
        var snapshot = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Value is string value)
            {
                snapshot[(string)entry.Key] = value;
            }
        }

        return From(snapshot);
    }

    /// <summary>
    /// The settings of a whole environment (the runner's, or a test's own): its variables, the
    /// <see cref="Runner"/> snapshot and the <see cref="Secrets"/> of every variable in it.
    /// </summary>
    public static PlanBotSettings From(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var frozen = environment.ToFrozenDictionary(StringComparer.Ordinal);
        return From(name => frozen.GetValueOrDefault(name)) with
        {
            Runner = frozen,
            Secrets = OwnSecrets.Values(frozen.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))),
        };
    }

    /// <summary>
    /// Builds the settings from named variables; empty values count as unset (Actions passes unset
    /// inputs as ""). Only the variables named here can be known, so <see cref="Secrets"/> holds the
    /// credentials among them (and PlanBot's other well-known credential variables) and there is no
    /// <see cref="Runner"/> snapshot: use <see cref="From(IReadOnlyDictionary{string, string})"/> for a whole environment.
    /// </summary>
    public static PlanBotSettings From(Func<string, string?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        string? Env(string name) => variables(name) is { Length: > 0 } value ? value : null;
        var runnerTemp = Env("RUNNER_TEMP");
        return new PlanBotSettings
        {
            Secrets = OwnSecrets.Values(KnownSecretNames.Select(name => new KeyValuePair<string, string?>(name, variables(name)))),
            DataDir = Path.GetFullPath(Env("PLANBOT_DATA_DIR") ?? (runnerTemp is null ? ".planbot" : Path.Combine(runnerTemp, ".planbot"))),
            ConfigDir = Env("PLANBOT_CONFIG_DIR"),
            PolicyFile = Env("PLANBOT_POLICY_FILE"),
            TerraformBinary = Env("PLANBOT_TERRAFORM_BINARY"),
            PluginCacheDir = Env("TF_PLUGIN_CACHE_DIR"),
            PlanKey = Env("PLANBOT_PLAN_KEY"),
            TraceStartup = Env("PLANBOT_TRACE_STARTUP") == "1",
            GitHub = new GitHubSettings
            {
                ApiUrl = Env("GITHUB_API_URL") ?? "https://api.github.com",
                Token = Env("GITHUB_TOKEN"),
                AppId = Env("PLANBOT_GITHUB_APP_ID"),
                AppPrivateKey = Env("PLANBOT_GITHUB_APP_PRIVATE_KEY"),
            },
            Action = new ActionSettings
            {
                EventName = Env("GITHUB_EVENT_NAME"),
                EventPath = Env("GITHUB_EVENT_PATH"),
                Repository = Env("GITHUB_REPOSITORY"),
                Workspace = Env("GITHUB_WORKSPACE"),
                Sha = Env("GITHUB_SHA"),
                RunId = Env("GITHUB_RUN_ID"),
                ServerUrl = Env("GITHUB_SERVER_URL") ?? "https://github.com",
                StepSummary = Env("GITHUB_STEP_SUMMARY"),
                Output = Env("GITHUB_OUTPUT"),
                DecideOnly = Env("PLANBOT_DECIDE_ONLY") == "true",
                Phase = Env("PLANBOT_PHASE"),
                FanOutProjects = Env("PLANBOT_FANOUT_PROJECTS"),
                FanOutMaxJobs = Env("PLANBOT_FANOUT_MAX_JOBS"),
            },
            Service = new ServiceSettings
            {
                WebhookSecret = Env("PLANBOT_WEBHOOK_SECRET"),
                AllowFileClone = Env("PLANBOT_ALLOW_FILE_CLONE") == "1",
                DriftInterval = Env("PLANBOT_DRIFT_INTERVAL"),
                DriftRepos = Env("PLANBOT_DRIFT_REPOS")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [],
                CloneBaseUrl = Env("PLANBOT_CLONE_BASE_URL") ?? "https://github.com/",
                QueueMaxAttempts = Env("PLANBOT_QUEUE_MAX_ATTEMPTS"),
                QueueOutageRetries = Env("PLANBOT_QUEUE_OUTAGE_RETRIES"),
                QueueBackend = Env("PLANBOT_QUEUE_BACKEND") ?? "sqlite",
                QueueUrl = Env("PLANBOT_QUEUE_URL"),
                QueueVisibility = Env("PLANBOT_QUEUE_VISIBILITY"),
                LeaseTable = Env("PLANBOT_LEASE_TABLE"),
                LeaseEndpoint = Env("PLANBOT_LEASE_ENDPOINT"),
                ReplicaId = Env("PLANBOT_REPLICA_ID") ?? Env("HOSTNAME"),
            },
            Cloud = new CloudSettings
            {
                AwsRegion = Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION"),
                AzureStorageKey = Env("AZURE_STORAGE_KEY"),
                AzureStorageConnectionString = Env("AZURE_STORAGE_CONNECTION_STRING"),
            },
        };
    }

    /// <summary>The credential variables PlanBot knows by name: what <see cref="From(Func{string, string?})"/> can mask without a whole environment.</summary>
    private static readonly string[] KnownSecretNames =
    [
        "GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "INPUT_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "PLANBOT_GITHUB_APP_PRIVATE_KEY", "INPUT_GITHUB-APP-PRIVATE-KEY", "PLANBOT_WEBHOOK_SECRET", "PLANBOT_PLAN_KEY", "INPUT_PLAN-KEY",
        "AZURE_STORAGE_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ARM_CLIENT_SECRET",
    ];
}

/// <summary>The hosts of the one engine; they differ in where checkouts live and in the default lock backend.</summary>
public enum PlanBotHost
{
    /// <summary>`planbot plan`, `drift`, `locks`, …: the checkout given with --repo, locks in local SQLite.</summary>
    Local,
    /// <summary>`planbot run` in GitHub Actions: GITHUB_WORKSPACE, an empty disk per run, locks in PR comments unless configured.</summary>
    Action,
    /// <summary>`planbot serve`: clones under the data dir, locks in local SQLite unless configured.</summary>
    Service,
}

/// <summary>How PlanBot reaches GitHub: GITHUB_TOKEN, or a GitHub App; GITHUB_API_URL for GitHub Enterprise.</summary>
public sealed record GitHubSettings
{
    public string ApiUrl { get; init; } = "https://api.github.com";
    public string? Token { get; init; }
    public string? AppId { get; init; }
    public string? AppPrivateKey { get; init; }
}

/// <summary>What GitHub Actions tells a step about its run.</summary>
public sealed record ActionSettings
{
    public string? EventName { get; init; }
    public string? EventPath { get; init; }
    public string? Repository { get; init; }
    public string? Workspace { get; init; }
    /// <summary>GITHUB_SHA: the commit the workflow run checked out (on a push or schedule, the default branch's head).</summary>
    public string? Sha { get; init; }
    public string? RunId { get; init; }
    public string ServerUrl { get; init; } = "https://github.com";
    public string? StepSummary { get; init; }
    public string? Output { get; init; }
    /// <summary>PLANBOT_DECIDE_ONLY (the action's decide-only): only decide whether a comment may run (action/commands.yml's gate job).</summary>
    public bool DecideOnly { get; init; }
    /// <summary>PLANBOT_PHASE (the action's phase): single (default), or matrix, plan, gather of a fanned-out plan.</summary>
    public string? Phase { get; init; }
    /// <summary>PLANBOT_FANOUT_PROJECTS (the action's projects): the plan phase's matrix entry, a JSON array.</summary>
    public string? FanOutProjects { get; init; }
    /// <summary>PLANBOT_FANOUT_MAX_JOBS (the action's max-jobs): the matrix's size past which projects are batched.</summary>
    public string? FanOutMaxJobs { get; init; }

    /// <summary>The Actions run page, when running in GitHub Actions.</summary>
    public string? RunUrl => RunId is { } run && Repository is { } repo ? $"{ServerUrl}/{repo}/actions/runs/{run}" : null;

    /// <summary>A required variable of `planbot run`.</summary>
    public static string Required(string? value, string name) => value ?? throw new UsageException(
        $"{name} is not set: `planbot run` is the GitHub Actions entry (Actions sets GITHUB_EVENT_NAME, GITHUB_EVENT_PATH and GITHUB_REPOSITORY); locally use `planbot plan`");
}

/// <summary>`planbot serve`'s settings.</summary>
public sealed record ServiceSettings
{
    public string? WebhookSecret { get; init; }
    /// <summary>PLANBOT_ALLOW_FILE_CLONE=1: file:// clone URLs are allowed (tests only).</summary>
    public bool AllowFileClone { get; init; }
    public string? DriftInterval { get; init; }
    public IReadOnlyList<string> DriftRepos { get; init; } = [];
    public string CloneBaseUrl { get; init; } = "https://github.com/";
    /// <summary>PLANBOT_QUEUE_MAX_ATTEMPTS: crashed or failed attempts before a delivery is parked (validated by the server's options).</summary>
    public string? QueueMaxAttempts { get; init; }
    /// <summary>PLANBOT_QUEUE_OUTAGE_RETRIES: the waits between retries of a delivery that met a GitHub outage.</summary>
    public string? QueueOutageRetries { get; init; }
    /// <summary>PLANBOT_QUEUE_BACKEND: <c>sqlite</c> (one replica, the default), <c>azure</c> (Azure Queue Storage) or <c>sqs</c> (Amazon SQS), the last two shared by N replicas.</summary>
    public string QueueBackend { get; init; } = "sqlite";
    /// <summary>PLANBOT_QUEUE_URL: the shared queue, e.g. https://account.queue.core.windows.net/planbot (credentials: AZURE_STORAGE_KEY or Azure.Identity)
    /// or https://sqs.eu-west-1.amazonaws.com/123456789012/planbot (credentials: the AWS SDK's chain).</summary>
    public string? QueueUrl { get; init; }
    /// <summary>PLANBOT_QUEUE_VISIBILITY: how long a received delivery stays hidden and a PR's lease lives without a heartbeat (default 2m).</summary>
    public string? QueueVisibility { get; init; }
    /// <summary>PLANBOT_LEASE_TABLE: the DynamoDB table (hash key LockID, the lock table can be it) holding the replicas' leases and seen delivery ids.</summary>
    public string? LeaseTable { get; init; }
    /// <summary>PLANBOT_LEASE_ENDPOINT: a DynamoDB endpoint other than AWS's (DynamoDB Local, tests).</summary>
    public string? LeaseEndpoint { get; init; }
    /// <summary>PLANBOT_REPLICA_ID, else HOSTNAME (a Kubernetes pod's name): this replica's name in lease holders and logs.</summary>
    public string? ReplicaId { get; init; }
}

/// <summary>What the cloud SDKs need beyond their own credential chains.</summary>
public sealed record CloudSettings
{
    public string? AwsRegion { get; init; }
    public string? AzureStorageKey { get; init; }
    public string? AzureStorageConnectionString { get; init; }
}
