using System.Buffers;
using System.Runtime.InteropServices;

namespace PlanBot.Core.Plans;

/// <summary>
/// The plan file of a process that renders one plan and exits (`planbot render`, `planbot-render`),
/// mapped into memory instead of copied (issue 19). Reading a 33 MB plan into a new array cost ~15 %
/// of a 10,000-change render and ~40 % of its system time: the kernel's copy, and a page fault for
/// every 4 KiB of fresh memory. A read-only private mapping with <c>MAP_POPULATE</c> maps the page
/// cache's pages in one call. The mapping is never unmapped: it lives as long as the process, and the
/// reader keeps slices of it for the diffs. That is why a run, which reads many plans, does not use it.
/// Anything but a regular, non-empty file on Linux is read as before
/// (<see cref="PlanReader.ReadDetailedFileAsync(string, IReadOnlyList{System.Text.RegularExpressions.Regex}, CancellationToken, string?)"/>),
/// which also words every error. A file truncated by another process while it is rendered ends the
/// process (SIGBUS), as it would any program that maps its input.
/// </summary>
public static partial class MappedPlanFile
{
    /// <summary>The plan's summary and masked diffs, read from the mapped file when it can be mapped.</summary>
    /// <exception cref="PlanFormatException">Unreadable, not JSON, not a plan, or a format this PlanBot does not read.</exception>
    public static async Task<PlanSummary> ReadDetailedOnceAsync(string path, IReadOnlyList<System.Text.RegularExpressions.Regex> masks, CancellationToken cancellationToken = default) =>
        TryMap(path) is { } mapped
            ? PlanReader.ReadDetailed(mapped, path, masks)
            : await PlanReader.ReadDetailedFileAsync(path, masks, cancellationToken).ConfigureAwait(false);

    private const int ProtRead = 0x1;
    private const int MapPrivate = 0x02;
    private const int MapPopulate = 0x8000;

    /// <summary>The file's bytes, mapped; null when it cannot be mapped (read it the ordinary way).</summary>
    private static unsafe ReadOnlyMemory<byte>? TryMap(string path)
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
    private sealed unsafe class Mapping(byte* address, int length) : MemoryManager<byte>
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
