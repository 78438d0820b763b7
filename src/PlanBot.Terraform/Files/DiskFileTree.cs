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

    public string ReadText(string path) => File.ReadAllText(Path.Combine(Root, path));
}
