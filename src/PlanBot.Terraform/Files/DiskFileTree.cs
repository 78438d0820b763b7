using PlanBot.Core.Ports;

namespace PlanBot.Terraform.Files;

/// <summary>A working tree on disk. Hidden dirs (.git, .terraform, .planbot, …) are never listed.</summary>
public sealed class DiskFileTree : IFileTree
{
    public DiskFileTree(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public IReadOnlyList<string> ListFiles()
    {
        var files = new List<string>();
        var pending = new Stack<(string Full, string Relative)>();
        pending.Push((Root, ""));
        while (pending.Count > 0)
        {
            var (full, relative) = pending.Pop();
            var dir = new DirectoryInfo(full);
            foreach (var entry in dir.EnumerateFileSystemInfos())
            {
                if (entry.Name.StartsWith('.') && entry is DirectoryInfo || entry.LinkTarget is not null && entry is DirectoryInfo)
                {
                    continue; // hidden dirs, and symlinked dirs (loops)
                }

                var path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
                if (entry is DirectoryInfo)
                {
                    pending.Push((entry.FullName, path));
                }
                else
                {
                    files.Add(path);
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// A file's text. A symlink resolving outside the checkout (<c>x.tf -> /proc/self/environ</c>) is
    /// not followed: PlanBot never reads what a pull request points it at outside its own tree.
    /// </summary>
    public string ReadText(string path)
    {
        var full = Path.Combine(Root, path);
        if (File.ResolveLinkTarget(full, returnFinalTarget: true) is { } target &&
            !Path.GetFullPath(target.FullName).StartsWith(Root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new IOException($"{path} is a symlink to a file outside the repository; PlanBot does not follow it (commit the file itself)");
        }

        return File.ReadAllText(full);
    }
}
