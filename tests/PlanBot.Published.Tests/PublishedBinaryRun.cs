using PlanBot.Cli.Tests.Harness;
using PlanBot.Cli.Tests;
using PlanBot.Testing;

namespace PlanBot.Published.Tests;

/// <summary>
/// Runs a harness command as the published executable (<see cref="PublishedBinary"/>), with exactly the
/// variables the test set, as a runner's container would: the classes deriving from an
/// <see cref="ActionRunTests"/> class with this run every test of their base on the binary.
/// </summary>
internal static class PublishedBinaryRun
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static async Task<(int Code, string Err)> InvokeAsync(EnvironmentScope environment, string[] args)
    {
        var variables = environment.Names
            .Select(name => (name, value: Environment.GetEnvironmentVariable(name)))
            .Where(v => v.value is not null)
            .ToDictionary(v => v.name, v => v.value!);
        var (code, _, err, _) = await CliProcess.RunAsync(args, variables, Timeout, PublishedBinary.Aot);
        return (code, err);
    }
}
