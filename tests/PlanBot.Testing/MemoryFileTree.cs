using PlanBot.Core.Ports;

namespace PlanBot.Testing;

/// <summary>A working tree held in memory: path → text.</summary>
public sealed class MemoryFileTree(IReadOnlyDictionary<string, string> files, string root = "/memory") : IFileTree
{
    public string Root { get; } = root;

    public IReadOnlyList<string> ListFiles() => files.Keys.Order(StringComparer.Ordinal).ToArray();

    public string ReadText(string path) => files[path];

    /// <summary>Reads a fixture folder from disk into memory, as repository-relative paths.</summary>
    public static MemoryFileTree FromDirectory(string dir) => new(
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(dir, f).StartsWith('_'))
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), File.ReadAllText),
        dir);
}
