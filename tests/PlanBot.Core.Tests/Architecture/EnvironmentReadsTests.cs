using System.Text.RegularExpressions;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Architecture;

/// <summary>
/// PlanBotSettings (src/PlanBot.Hosting) is the only code that reads environment variables: every
/// other project is handed the values (and the runner snapshot, and the secrets to mask), so tests
/// build settings instead of changing the process environment. A new read elsewhere fails here.
/// </summary>
public sealed partial class EnvironmentReadsTests
{
    [GeneratedRegex(@"\bGetEnvironmentVariables?\b|\bExpandEnvironmentVariables\b|\bEnvironmentVariableTarget\b")]
    private static partial Regex EnvironmentRead();

    private static IEnumerable<(string File, int Line, string Text)> Reads()
    {
        var src = Path.Combine(Fixtures.RepoRoot, "src");
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Fixtures.RepoRoot, file).Replace('\\', '/');
            if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal))
            {
                continue;
            }

            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (EnvironmentRead().IsMatch(lines[i]))
                {
                    yield return (relative, i + 1, lines[i].Trim());
                }
            }
        }
    }

    [Fact]
    public void Only_hosting_reads_environment_variables()
    {
        var reads = Reads().ToArray();
        reads.ShouldContain(r => r.File == "src/PlanBot.Hosting/PlanBotSettings.cs", "the scan must see the one place that reads (else it scans nothing)");
        var outside = reads.Where(r => !r.File.StartsWith("src/PlanBot.Hosting/", StringComparison.Ordinal)).Select(r => $"{r.File}:{r.Line}: {r.Text}").ToArray();
        outside.ShouldBeEmpty("read the value in PlanBotSettings (src/PlanBot.Hosting/PlanBotSettings.cs) and hand it down instead");
    }
}
