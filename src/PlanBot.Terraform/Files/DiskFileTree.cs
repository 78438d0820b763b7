using System.Buffers;
using System.Text;
using PlanBot.Core.Discovery;
using PlanBot.Core.Ports;

namespace PlanBot.Terraform.Files;

/// <summary>
/// A working tree on disk. Hidden dirs (.git, .terraform, .planbot, …) are never listed. Reads are
/// bounded: a symlink is followed only while it stays inside the tree (a committed `x.tf -> /dev/zero`
/// or `-> /etc/passwd` is skipped with a warning), and at most <see cref="MaxFileBytes"/> are read.
/// </summary>
public sealed class DiskFileTree : IFileTree
{
    /// <summary>
    /// Larger than any hand-written or generated .tf seen in practice (the biggest public ones are a few
    /// MB); reading is about ten times the file size in memory, so this bounds one file near 160 MB.
    /// </summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    private const int MaxLinkHops = 40;

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

    /// <exception cref="SkippedFileException">A symlink leading out of the tree (or in a loop).</exception>
    /// <exception cref="IOException">Not a regular file, unreadable, or larger than <see cref="MaxFileBytes"/>.</exception>
    public string ReadText(string path)
    {
        var full = ResolveInside(path);
        // Unbuffered, into one pooled buffer, decoded once: a run reads every .tf of the repository before
        // its first terraform, and fresh arrays per file (a stream's buffers, a reader's, a builder's) were
        // zeroed pages the collector cleared and the kernel faulted in (issue 19). Only the text is allocated.
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        var length = stream.CanSeek ? stream.Length : 0;
        if (length > MaxFileBytes)
        {
            throw TooLarge(path, length);
        }

        var buffer = Take((int)Math.Max(length + 1, 4096));
        var filled = 0;
        try
        {
            // Read with the cap enforced as bytes arrive: a device or a pipe reports no length, and a file can grow.
            int read;
            while ((read = stream.Read(buffer, filled, buffer.Length - filled)) > 0)
            {
                filled += read;
                if (filled > MaxFileBytes)
                {
                    throw TooLarge(path, null);
                }

                if (filled == buffer.Length)
                {
                    var larger = Take((int)Math.Min(buffer.Length * 2L, MaxFileBytes + 1));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    Give(buffer, filled);
                    buffer = larger;
                }
            }

            return Decode(buffer.AsSpan(0, filled));
        }
        finally
        {
            Give(buffer, filled);
        }
    }

    /// <summary>Files up to this size are read into the shared pool's arrays; a larger one gets its own, so the pool never keeps it.</summary>
    private const int PooledBytes = 1 << 20;

    private static byte[] Take(int size) => size <= PooledBytes ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    private static void Give(byte[] buffer, int filled)
    {
        buffer.AsSpan(0, filled).Clear(); // a .tf can hold a secret; only what was read is cleared, not a whole large array
        if (buffer.Length <= PooledBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The text of a file's bytes, as a StreamReader detecting byte order marks reads it (UTF-8 unless a BOM says otherwise).</summary>
    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        var (encoding, bom) = bytes switch
        {
            [0xEF, 0xBB, 0xBF, ..] => (Encoding.UTF8, 3),
            [0xFF, 0xFE, 0x00, 0x00, ..] => (Encoding.UTF32, 4),
            [0xFF, 0xFE, ..] => (Encoding.Unicode, 2),
            [0xFE, 0xFF, ..] => (Encoding.BigEndianUnicode, 2),
            [0x00, 0x00, 0xFE, 0xFF, ..] => (new UTF32Encoding(bigEndian: true, byteOrderMark: true), 4),
            _ => (Encoding.UTF8, 0),
        };
        return encoding.GetString(bytes[bom..]);
    }

    private static IOException TooLarge(string path, long? length) => new(
        $"{(length is { } l ? $"{l / (1024.0 * 1024):0.#} MB" : "endless")}: PlanBot reads at most {MaxFileBytes / (1024 * 1024)} MB of one Terraform file; split {path} or add it to discovery.ignore");

    /// <summary>
    /// The path with every symlink on the way resolved, hop by hop, each one checked to stay inside the
    /// tree: a link to a dir that links out is caught as well as a direct one.
    /// </summary>
    private string ResolveInside(string path)
    {
        var pending = new Stack<string>(path.Split('/').Reverse());
        var current = Root;
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (current == Root)
                {
                    throw OutOfTree(path);
                }

                current = Path.GetDirectoryName(current)!;
                continue;
            }

            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new SkippedFileException($"{path}: a symlink loop; not read");
            }

            if (Path.IsPathRooted(target))
            {
                var relative = Path.GetRelativePath(Root, Path.GetFullPath(target));
                if (relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                {
                    throw OutOfTree(path, target);
                }

                current = Root;
                target = relative;
            }

            foreach (var step in target.Replace('\\', '/').Split('/').Reverse())
            {
                pending.Push(step);
            }
        }

        return current;
    }

    private static SkippedFileException OutOfTree(string path, string? target = null) =>
        new($"{path} is a symlink{(target is null ? "" : $" to {target}")}, outside the repository: not followed (PlanBot reads only files inside the repository; commit the file itself)");
}
