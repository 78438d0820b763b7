using PlanBot.Core.Common;

namespace PlanBot.Core.Config;

/// <summary>
/// The operator's policy (<c>planbot serve --policy FILE</c>, the Action's <c>policy-file</c>): the
/// policy keys of planbot.yaml, kept outside every repository. A repository's own planbot.yaml (on
/// its default branch) can only tighten it, key by key (<see cref="Tighten"/>; docs/security.md has
/// the table). Loaded and validated once when PlanBot starts: a bad file stops it with file:line.
/// </summary>
/// <param name="File">Where the policy was read from, as the operator gave it.</param>
/// <param name="Config">Its keys; <see cref="PlanBotConfig.Written"/> says which it sets.</param>
public sealed record ServerPolicy(string File, PlanBotConfig Config)
{
    private static readonly string[] Roles = ["none", "read", "triage", "write", "maintain", "admin"];

    /// <exception cref="ConfigException">The file is missing, unreadable, malformed, or holds a key that is not policy.</exception>
    public static ServerPolicy Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigException($"{path}: cannot read the server policy ({e.Message.TrimEnd('.')}): give a readable YAML file with planbot.yaml's policy keys", e);
        }

        return Parse(path, text);
    }

    /// <exception cref="ConfigException">The text is malformed or holds a key that is not policy.</exception>
    public static ServerPolicy Parse(string file, string text)
    {
        var (raw, readErrors) = ConfigReader.Read(file, text, serverPolicy: true);
        var (config, validationErrors) = ConfigValidator.Validate(raw);
        var repositories = raw.AllowedRepositories.Select(r => (r, Error: AllowedRepositories.PatternError(r.Value))).ToList();
        var errors = readErrors.Concat(validationErrors).Concat(NotPolicy(raw))
            .Concat(repositories.Where(r => r.Error is not null).Select(r => new ConfigError(file, r.r.Line, r.r.Column, $"'{AllowedRepositories.Key}' entry {r.Error}")))
            .OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
        return errors.Count > 0 ? throw new ConfigException(errors) : new ServerPolicy(file, config with { SourceFile = file, Written = PolicyKeys.Written(raw) })
        {
            Repositories = new AllowedRepositories([.. repositories.Select(r => r.r.Value)]),
        };
    }

    /// <summary><c>allowed_repositories</c>: the repositories this PlanBot acts for; none written: all.</summary>
    public AllowedRepositories Repositories { get; init; } = AllowedRepositories.All;

    /// <summary>
    /// Why PlanBot refuses to act for <paramref name="repo"/> (it is not in <c>allowed_repositories</c>),
    /// naming the repository, the key and the file; null when it may act.
    /// </summary>
    public string? Refusal(string repo)
    {
        ArgumentNullException.ThrowIfNull(repo);
        return Repositories.Admits(repo) ? null
            : $"repository '{AllowedRepositories.Printable(repo)}' is not in {AllowedRepositories.Key} of the server policy {File} ({string.Join(", ", Repositories.Patterns)}): nothing was checked out, planned or written; add it (or owner/*) there to let PlanBot act for it";
    }

    /// <summary>
    /// A repository's policy under this one: each key as the server sets it, or the repository's
    /// value where that is stricter. Keys the server does not write are the repository's, except
    /// that a repository never enables what loosens a server policy's defaults (forks, self-approval,
    /// approvers it does not list, runner variables it does not pass).
    /// </summary>
    /// <exception cref="ConfigException">The repository's terraform env reads a runner variable the server policy does not allow.</exception>
    public PlanBotConfig Tighten(PlanBotConfig repo)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var s = Config;
        var set = s.Written;
        CheckRunnerVariables(repo);
        var approval = new ApprovalSettings
        {
            Destructive = s.Approval.Destructive || repo.Approval.Destructive,
            FoundationalPaths = Union(s.Approval.FoundationalPaths, repo.Approval.FoundationalPaths),
            FoundationalTypes = Union(s.Approval.FoundationalTypes, repo.Approval.FoundationalTypes),
            Users = Narrow(s.Approval.Users, repo.Approval.Users),
            Teams = Narrow(s.Approval.Teams, repo.Approval.Teams),
            MinPermission = Stricter(s.Approval.MinPermission, repo.Approval.MinPermission),
            AllowSelfApproval = s.Approval.AllowSelfApproval && repo.Approval.AllowSelfApproval,
            Required = Math.Max(s.Approval.Required, repo.Approval.Required),
        };
        var locks = set.Contains("locks") ? s : repo;
        var plans = set.Contains("plans") ? s : repo;
        return repo with
        {
            Approval = approval,
            ApplyMode = set.Contains("apply.mode") && s.ApplyMode == ApplyMode.OnMerge ? ApplyMode.OnMerge : repo.ApplyMode,
            Commands = new CommandSettings
            {
                Plan = Stricter(s.Commands.Plan, repo.Commands.Plan),
                Unlock = Stricter(s.Commands.Unlock, repo.Commands.Unlock),
                Apply = ApplyRole(s.Commands.Apply, repo.Commands.Apply, approval.MinPermission),
            },
            LocksBackend = locks.LocksBackend,
            LocksBackendChosen = locks.LocksBackendChosen,
            LocksTtl = locks.LocksTtl,
            PlansStore = plans.PlansStore,
            Backends = new Dictionary<string, BackendSettings>(
                locks.Backends.Where(b => b.Key.StartsWith("locks.", StringComparison.Ordinal))
                    .Concat(plans.Backends.Where(b => b.Key.StartsWith("plans.", StringComparison.Ordinal)))
                    .Concat(repo.Backends.Where(b => !b.Key.StartsWith("locks.", StringComparison.Ordinal) && !b.Key.StartsWith("plans.", StringComparison.Ordinal))),
                StringComparer.Ordinal),
            PullRequests = new PullRequestSettings
            {
                PlanForks = s.PullRequests.PlanForks && repo.PullRequests.PlanForks,
                PlanDrafts = set.Contains("pull_requests.plan_drafts") ? s.PullRequests.PlanDrafts && repo.PullRequests.PlanDrafts : repo.PullRequests.PlanDrafts,
            },
            Comments = repo.Comments with { Mask = [.. repo.Comments.Mask.Union(s.Comments.Mask, StringComparer.Ordinal)] },
            Terraform = new TerraformSettings
            {
                Binary = set.Contains("terraform.binary") ? s.Terraform.Binary : repo.Terraform.Binary,
                StepTimeout = set.Contains("terraform.timeout") && s.Terraform.StepTimeout < repo.Terraform.StepTimeout ? s.Terraform.StepTimeout : repo.Terraform.StepTimeout,
                LockTimeout = set.Contains("terraform.lock_timeout") && s.Terraform.LockTimeout < repo.Terraform.LockTimeout ? s.Terraform.LockTimeout : repo.Terraform.LockTimeout,
                Run = repo.Terraform.Run.Then(s.Terraform.Run), // the server's env entries (and version) win over the repository's
                Mirror = set.Contains("terraform.mirror") ? s.Terraform.Mirror : repo.Terraform.Mirror,
            },
        };
    }

    /// <summary>Where each policy key's effective value comes from: the server policy, the repository's planbot.yaml, or PlanBot's default.</summary>
    /// <param name="policy">The server policy, or null when there is none.</param>
    /// <param name="repo">The repository's own configuration (its default branch's planbot.yaml).</param>
    public static IReadOnlyList<PolicyOrigin> Origins(ServerPolicy? policy, PlanBotConfig repo)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var effective = policy?.Tighten(repo) ?? repo;
        return [.. PolicyKeys.All.Select(k =>
        {
            var value = k.Value(effective);
            var byServer = policy is not null && policy.Config.Written.Contains(k.Key);
            var byRepo = repo.Written.Contains(k.Key);
            var source = byServer && byRepo && value != k.Value(policy!.Config) && value != k.Value(repo) ? PolicySource.Both
                : byServer && value == k.Value(policy!.Config) ? PolicySource.ServerPolicy
                : byRepo && value == k.Value(repo) ? PolicySource.Repository
                : byServer ? PolicySource.ServerPolicy
                : value != k.Value(repo) && policy is not null ? PolicySource.ServerPolicy // a default of the server policy (plan_forks off) beat the repository's value
                : byRepo ? PolicySource.Repository
                : PolicySource.Default;
            return new PolicyOrigin(k.Key, value, source);
        })];
    }

    /// <summary>The role rank: none &lt; read &lt; triage &lt; write &lt; maintain &lt; admin.</summary>
    private static int Rank(string role) => Array.IndexOf(Roles, role.ToLowerInvariant());

    private static string Stricter(string a, string b) => Rank(b) > Rank(a) ? b : a;

    /// <summary>
    /// <c>commands.apply.min_permission</c>: null means the approver rules. A repository may name a
    /// role only when it is at least the approvers' minimum (else it would let more people apply).
    /// </summary>
    private static string? ApplyRole(string? server, string? repo, string approverMinimum) =>
        server is null
            ? repo is not null && Rank(repo) >= Rank(approverMinimum) ? repo : null
            : repo is null ? server : Stricter(server, repo);

    /// <summary>Approver lists: the server's, narrowed to those the repository also lists; a repository adds nobody.</summary>
    private static string[] Narrow(IReadOnlyList<string> server, IReadOnlyList<string> repo) =>
        repo.Count == 0 ? [.. server] : [.. server.Where(u => repo.Contains(u, StringComparer.OrdinalIgnoreCase))];

    private static Glob[] Union(IReadOnlyList<Glob> server, IReadOnlyList<Glob> repo) =>
        [.. server.Concat(repo.Where(r => !server.Any(g => g.Pattern == r.Pattern)))];

    /// <summary>
    /// A runner variable (<c>from:</c>) reaches terraform only when the server policy passes the same
    /// variable itself: the operator decides which of the runner's secrets a repository may read.
    /// </summary>
    private void CheckRunnerVariables(PlanBotConfig repo)
    {
        var allowed = Config.Terraform.Run.Env.Where(e => e.FromRunner).Select(e => e.Value).ToHashSet(StringComparer.Ordinal);
        var refused = repo.Terraform.Run.Env.Select(e => (Where: "terraform.env", Env: e))
            .Concat(repo.Projects.SelectMany(p => p.Run.Env.Select(e => (Where: $"projects[{p.Dir}].terraform.env", Env: e))))
            .Where(x => x.Env.FromRunner && !allowed.Contains(x.Env.Value))
            .Select(x => $"{repo.SourceFile ?? "planbot.yaml"}: {x.Where} '{x.Env.Name}' reads the runner's {x.Env.Value} (from:), which the server policy {File} does not allow: remove it, or ask the operator to add '{x.Env.Value}: {{ from: {x.Env.Value} }}' under the server policy's terraform.env")
            .ToArray();
        if (refused.Length > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine, refused));
        }
    }

    /// <summary>Layout keys (and settings that are not policy) have no meaning outside a repository.</summary>
    private static IEnumerable<ConfigError> NotPolicy(RawConfig raw)
    {
        const string Fix = "a server policy takes only policy keys (allowed_repositories, approval, apply, commands, locks, plans, pull_requests, comments.mask, terraform binary/timeout/lock_timeout/env/extra_args/version/mirror): remove it";
        IEnumerable<(int Line, int Column, string Key)?> found =
        [
            raw.Projects.Count > 0 ? (raw.Projects[0].Line, raw.Projects[0].Column, "projects") : null,
            raw.DiscoveryEnabled is { } d ? (d.Line, d.Column, "discovery.enabled") : null,
            raw.DiscoveryIgnore.Count > 0 ? (raw.DiscoveryIgnore[0].Line, raw.DiscoveryIgnore[0].Column, "discovery.ignore") : null,
            raw.AutoplanModules is { } a ? (a.Line, a.Column, "autoplan") : null,
            raw.Parallelism is { } p ? (p.Line, p.Column, "parallelism") : null,
            raw.CommentsMaxChars is { } c ? (c.Line, c.Column, "comments.max_chars") : null,
            raw.CommentsMaxParts is { } m ? (m.Line, m.Column, "comments.max_parts") : null,
            raw.Run.VarFiles.Count > 0 ? (raw.Run.VarFiles[0].Line, raw.Run.VarFiles[0].Column, "terraform.var_files") : null,
            raw.Run.BackendConfig.Count > 0 ? (raw.Run.BackendConfig[0].Line, raw.Run.BackendConfig[0].Column, "terraform.backend_config") : null,
        ];
        var errors = found.OfType<(int Line, int Column, string Key)>().Select(f => new ConfigError(raw.File, f.Line, f.Column, $"'{f.Key}' is not a policy key: {Fix}"));
        // a repository's workflows are policy of its own default branch; a server-wide step list could
        // not be tightened key by key, so it is refused rather than silently ignored
        return raw.Workflows.Count == 0 ? errors : errors.Append(new ConfigError(raw.File, raw.Workflows[0].Name.Line, raw.Workflows[0].Name.Column,
            "'workflows' cannot be set by a server policy: step lists are each repository's policy, read from its default branch; remove it"));
    }
}

/// <summary>Where a policy key's effective value comes from.</summary>
public enum PolicySource
{
    Default,
    ServerPolicy,
    Repository,
    /// <summary>Both contributed (a union, or the stricter of the two differs from each).</summary>
    Both,
}

/// <summary>One policy key, its effective value and where that comes from.</summary>
public sealed record PolicyOrigin(string Key, string Value, PolicySource Source);
