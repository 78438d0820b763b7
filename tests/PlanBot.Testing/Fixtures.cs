using Xunit;

namespace PlanBot.Testing;

/// <summary>
/// Public test material in ../shared/fixtures (or $PLANBOT_FIXTURES), read in place, never copied.
/// </summary>
public static class Fixtures
{
    public static string? Root { get; } = Find();

    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root ?? throw new InvalidOperationException("shared fixtures are absent"), .. parts]);

    /// <summary>This repository's root (where PlanBot.sln is).</summary>
    public static string RepoRoot { get; } = FindUp("PlanBot.sln") ?? throw new InvalidOperationException("cannot find PlanBot.sln above " + AppContext.BaseDirectory);

    private static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("PLANBOT_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return Directory.Exists(fromEnv) ? fromEnv : null;
        }

        var repo = FindUp("PlanBot.sln");
        var candidate = repo is null ? null : System.IO.Path.GetFullPath(System.IO.Path.Combine(repo, "..", "shared", "fixtures"));
        return candidate is not null && Directory.Exists(candidate) ? candidate : null;
    }

    private static string? FindUp(string marker)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, marker)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>A fact that reports itself skipped, with the reason, when the shared fixtures are absent.</summary>
public sealed class FixtureFactAttribute : FactAttribute
{
    public FixtureFactAttribute()
    {
        if (Fixtures.Root is null)
        {
            Skip = "../shared/fixtures is absent (set PLANBOT_FIXTURES to point at it)";
        }
    }
}

/// <summary>A theory over fixture files; skipped with the reason when the shared fixtures are absent.</summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute
{
    public FixtureTheoryAttribute()
    {
        if (Fixtures.Root is null)
        {
            Skip = "../shared/fixtures is absent (set PLANBOT_FIXTURES to point at it)";
        }
    }
}
