namespace PlanBot.Core.Common;

/// <summary>Repository-relative paths: '/'-separated, no leading './', '.' for the root.</summary>
public static class RepoPath
{
    public const string Root = ".";

    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == ".." && parts.Count > 0 && parts[^1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            else
            {
                parts.Add(part);
            }
        }

        return parts.Count == 0 ? Root : string.Join('/', parts);
    }

    /// <summary>Joins a repository dir with a path relative to it; null when the result leaves the repository.</summary>
    public static string? Combine(string dir, string relative)
    {
        var joined = Normalize(dir == Root ? relative : dir + "/" + relative);
        return joined == ".." || joined.StartsWith("../", StringComparison.Ordinal) ? null : joined;
    }

    public static string DirectoryOf(string file)
    {
        var slash = file.LastIndexOf('/');
        return slash < 0 ? Root : file[..slash];
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="dir"/> or lies below it.</summary>
    public static bool IsUnder(string path, string dir) =>
        dir == Root || path == dir || (path.Length > dir.Length && path[dir.Length] == '/' && path.StartsWith(dir, StringComparison.Ordinal));

    public static IEnumerable<string> Segments(string path) => path == Root ? [] : path.Split('/');
}
