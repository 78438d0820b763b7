using System.Buffers;
using System.Runtime.InteropServices;

namespace PlanBot.Render;

/// <summary>
/// The plan file mapped into memory instead of copied (issue 19). Reading a 33 MB plan into a new
/// array cost ~15 % of a 10,000-change render: the kernel's copy, and a page fault for every 4 KiB of
/// fresh memory. A read-only private mapping with <c>MAP_POPULATE</c> maps the page cache's pages in
/// one call. The mapping lives as long as the process (this binary renders one plan and exits); the
/// reader keeps slices of it for the diffs. Anything but a regular, non-empty file on Linux is read as
/// before (<see cref="Core.Plans.PlanReader.ReadDetailedFileAsync(string, IReadOnlyList{System.Text.RegularExpressions.Regex}, CancellationToken, string?)"/>),
/// which also words every error. A file truncated by another process while it is rendered ends the
/// process (SIGBUS), as it would any program that maps its input.
/// </summary>
internal static unsafe partial class MappedFile
{
    private const int ProtRead = 0x1;
    private const int MapPrivate = 0x02;
    private const int MapPopulate = 0x8000;

    /// <summary>The file's bytes, mapped; null when it cannot be mapped (read it the ordinary way).</summary>
    public static ReadOnlyMemory<byte>? TryMap(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            if (length is 0 or > int.MaxValue)
            {
                return null; // empty (not JSON: said by the reader), not a regular file, or beyond an array's size
            }

            var address = Mmap(0, (nuint)length, ProtRead, MapPrivate | MapPopulate, (int)handle.DangerousGetHandle(), 0);
            return address == -1 ? null : new Mapping((byte*)address, (int)length).Memory;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    /// <summary>Mapped memory as <see cref="Memory{T}"/>; never unmapped (the process ends first).</summary>
    private sealed class Mapping(byte* address, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(address, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(address + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
