using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PlanBot.Cli.Commands;
using PlanBot.Hosting;
using PlanBot.Terraform.Git;

namespace PlanBot.Cli;

/// <summary>Builds the command tree; each command parses, calls a workflow and maps the result to an exit code.</summary>
public static class CliApp
{
    /// <summary>Every command, by the name it is invoked with (each Create names its command the same).</summary>
    private static readonly (string Name, Func<CliContext, Command> Create)[] AllCommands =
    [
        ("plan", PlanCommand.Create),
        ("render", RenderCommand.Create),
        ("projects", ProjectsCommand.Create),
        ("demo", DemoCommand.Create),
        ("locks", LocksCommand.Create),
        ("run", RunCommand.Create),
        ("drift", DriftCommand.Create),
        .. ServiceCommands(),
    ];

    /// <summary>The webhook service's commands, where this build has them (see <see cref="CliFeatures.ServiceCommands"/>).</summary>
    private static (string Name, Func<CliContext, Command> Create)[] ServiceCommands() =>
        CliFeatures.ServiceCommands ? [("serve", ServeCommand.Create), ("queue", QueueCommand.Create)] : [];

    /// <summary>Runs with the settings of the process environment.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout, stderr, PlanBotSettings.FromEnvironment(), cancellationToken);

    /// <summary>Runs with the given settings (tests pass their own instead of changing the process environment).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, PlanBotSettings settings, CancellationToken cancellationToken = default)
    {
        stdout = MaskingWriter.Wrap(stdout, settings.Secrets); // the last line of defence: PlanBot's own secrets never reach a log
        stderr = MaskingWriter.Wrap(stderr, settings.Secrets);
        var trace = StartupTrace.Create(settings.TraceStartup, stderr);
        trace?.Mark("settings read");
        // A plain command named planbot with the two options a RootCommand adds: RootCommand names itself by
        // reflecting over the entry assembly, ~1.5 ms of a NativeAOT start before anything is parsed (issue 19).
        var root = new Command("planbot", "PlanBot: Terraform pull requests, planned in dependency order, summarized, approved and applied.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };
        var context = new CliContext(stdout, stderr, settings) { Trace = trace };
        // Only the command being run is built (its options cost start-up time, issue 19); without one, all of them (help, errors).
        var named = args.Length > 0 && AllCommands.Any(c => c.Name == args[0]) ? args[0] : null;
        foreach (var (name, create) in AllCommands)
        {
            if (named is null || name == named)
            {
                root.Subcommands.Add(create(context));
            }
        }

        if (!CliFeatures.ServiceCommands && args.Length > 0 && args[0] is "serve" or "queue")
        {
            stderr.WriteLine($"planbot: `{args[0]}` belongs to the webhook service, which this build (the Action's NativeAOT executable) leaves out: run the service image, or `dotnet planbot.dll {args[0]}` (docs/deployment.md)");
            return ExitCodes.BadInput;
        }

        var parsed = root.Parse(args);
        trace?.Mark($"command line parsed ({named ?? "no command"})");
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"planbot: {error.Message}");
            }

            stderr.WriteLine("Run `planbot --help` for the commands and their options.");
            return ExitCodes.BadInput;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // let running terraform processes be killed and the report written
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
            return await parsed.InvokeAsync(invocation, cancel.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (ExitCodes.ForError(e, stderr) is { } code)
        {
            return code;
        }
#pragma warning disable CA1031 // the last line of defence: a bug still gets one readable line, not a stack trace
        catch (Exception e)
        {
            stderr.WriteLine($"planbot: unexpected {e.GetType().Name}: {e.Message} (a bug in PlanBot; please report it with the terraform logs)");
            return ExitCodes.ProjectFailed;
        }
#pragma warning restore CA1031
        finally
        {
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            Console.CancelKeyPress -= onCancel;
            trace?.Mark("done");
        }
    }
}

/// <summary>What every command writes to, and the settings it runs with.</summary>
public sealed record CliContext(TextWriter Stdout, TextWriter Stderr, PlanBotSettings Settings)
{
    /// <summary>PLANBOT_TRACE_STARTUP's phase marks; null when off.</summary>
    public StartupTrace? Trace { get; init; }

    /// <summary>Progress lines on stderr; with the trace on, each carries the trace's figures (when it was told, in ms after launch).</summary>
    public IProgress<string> Progress => Trace is { } trace ? new TracedProgress(trace) : new StderrProgress(Stderr);

    /// <summary>The engine, composed by <see cref="PlanBotServices.AddPlanBot"/> with these settings (default: the context's).</summary>
    public ServiceProvider Services(PlanBotSettings? settings = null)
    {
        settings ??= Settings;
        Commands.OutputPaths.CheckDataDir(settings.DataDir); // a data dir that is a file or read-only is the user's to fix (exit 2), found before any work
        var services = new ServiceCollection();
        services.AddSingleton(Progress);
        if (Trace is not null)
        {
            services.AddSingleton(Trace.Git(new GitCli())); // AddPlanBot keeps an IGit already registered
        }

        services.AddPlanBot(settings);
        var provider = services.BuildServiceProvider();
        Trace?.Mark("services composed");
        return provider;
    }

    private sealed class TracedProgress(StartupTrace trace) : IProgress<string>
    {
        public void Report(string value) => trace.Mark(value);
    }

    private sealed class StderrProgress(TextWriter stderr) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (stderr)
            {
                stderr.WriteLine($"planbot: {value}");
            }
        }
    }
}
