using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PlanBot.Core.Config;
using PlanBot.Core.Events;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Core.Workflows;
using PlanBot.Terraform;
using PlanBot.Terraform.Checkout;
using PlanBot.Terraform.Git;

namespace PlanBot.Hosting;

/// <summary>
/// The composition root: every port bound to its adapter, in one place, for the CLI, the Action and
/// the service alike. What differs between them is <see cref="PlanBotSettings.Host"/>: where checkouts
/// live (<see cref="IRepoCheckout"/>) and the default lock backend (<see cref="Stores"/>).
/// </summary>
public static class PlanBotServices
{
    public static IServiceCollection AddPlanBot(this IServiceCollection services, PlanBotSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IProgress<string>>(new Progress<string>());
        services.TryAddSingleton<IGit, GitCli>();
        services.TryAddSingleton<Func<TerraformSettings, ITerraform>>(_ => terraform => Terraform(terraform, settings));
        services.TryAddSingleton(sp => new GitHubConnection(settings.GitHub, settings.Secrets, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IVcs>(sp => sp.GetRequiredService<GitHubConnection>().Client);
        services.TryAddSingleton<IStores>(sp => new Stores(settings, sp.GetRequiredService<TimeProvider>(), settings.Host == PlanBotHost.Local ? null : sp.GetRequiredService<IVcs>));
        services.TryAddSingleton<IRepoCheckout>(sp => settings.Host switch
        {
            PlanBotHost.Service => new CloneCheckout(settings.DataDir, (repo, ct) => sp.GetRequiredService<GitHubConnection>().Tokens.GetTokenAsync(repo, ct).AsTask(),
                settings.Service.AllowFileClone, settings.Service.CloneBaseUrl),
            PlanBotHost.Action => new WorktreeCheckout(settings.DataDir, Path.GetFullPath(settings.Action.Workspace ?? "."), settings.Action.Sha, sp.GetRequiredService<IProgress<string>>()),
            _ => new WorktreeCheckout(settings.DataDir, progress: sp.GetRequiredService<IProgress<string>>()),
        });
        // Sensitive values in fingerprints are hashed with the repository's salt, keyed by the plan key (read when first used: a bad key is the stores' error).
        services.TryAddSingleton(sp => new PlanWorkflow(sp.GetRequiredService<Func<TerraformSettings, ITerraform>>(), sp.GetRequiredService<IGit>(), sp.GetRequiredService<IProgress<string>>(),
            repo => FingerprintSalt.For(repo, PlanEnvelope.KeyFrom(settings.PlanKey) ?? [])));
        services.TryAddSingleton<IPlanRunner>(sp => new RunPlanner(sp.GetRequiredService<IGit>(), sp.GetRequiredService<IRepoCheckout>(), sp.GetRequiredService<PlanWorkflow>(), settings.DataDir));
        services.TryAddSingleton(sp => new DriftWorkflow(sp.GetRequiredService<IPlanRunner>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IProgress<string>>()));
        services.TryAddSingleton(sp => new EngineParts(sp.GetRequiredService<IVcs>(), sp.GetRequiredService<IRepoCheckout>(), sp.GetRequiredService<IStores>(), sp.GetRequiredService<IPlanRunner>(),
            sp.GetRequiredService<IGit>(), sp.GetRequiredService<Func<TerraformSettings, ITerraform>>(), sp.GetRequiredService<TimeProvider>(), settings.ConfigDir, sp.GetRequiredService<IProgress<string>>())
        {
            ServerPolicy = settings.Policy,
            SaltFor = repo => FingerprintSalt.For(repo, PlanEnvelope.KeyFrom(settings.PlanKey) ?? []), // the plan engine's, above: a stored plan is checked with it
        });
        services.TryAddSingleton(sp => new EventDispatcher(sp.GetRequiredService<EngineParts>()));
        return services;
    }

    /// <summary>terraform (or tofu) as planbot.yaml's terraform settings and the Action's terraform-binary input ask.</summary>
    public static ITerraform Terraform(TerraformSettings terraform, PlanBotSettings settings)
    {
        ArgumentNullException.ThrowIfNull(terraform);
        ArgumentNullException.ThrowIfNull(settings);
        return new TerraformCli(new TerraformOptions
        {
            Binary = settings.TerraformBinary ?? terraform.Binary,
            StepTimeout = terraform.StepTimeout,
            LockTimeout = terraform.LockTimeout,
            PluginCacheDir = settings.EffectivePluginCacheDir,
            VersionsDir = Path.Combine(settings.DataDir, "versions"), // per version, shared by runs: installed once, verified
            Mirror = terraform.Mirror,
            Runner = settings.Runner,
        });
    }

    /// <summary>The run's configuration from a checkout, honouring PLANBOT_CONFIG_DIR.</summary>
    public static RunConfig LoadConfig(this PlanBotSettings settings, string checkout)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return RunConfigLoader.Load(checkout, settings.ConfigDir, settings.Policy);
    }

    /// <summary>
    /// The settings with the server policy loaded and validated now, at start (<paramref name="file"/>,
    /// else PLANBOT_POLICY_FILE; neither: none), so a bad policy stops PlanBot before any event.
    /// </summary>
    /// <exception cref="ConfigException">The policy file is unreadable or invalid (file:line and the fix).</exception>
    public static PlanBotSettings WithServerPolicy(this PlanBotSettings settings, string? file = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var path = file ?? settings.PolicyFile;
        return path is null ? settings : settings with { PolicyFile = path, Policy = ServerPolicy.Load(path) };
    }
}
