using System.Buffers;
using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace PlanBot.Core.Plans;

/// <summary>
/// The plan file of a process that renders one plan and exits (`planbot render`, `planbot-render`),
/// mapped into memory instead of copied (issue 19). Reading a 33 MB plan into a new array cost ~15 %
/// of a 10,000-change render and ~40 % of its system time: the kernel's copy, and a page fault for
/// every 4 KiB of fresh memory. A read-only private mapping with <c>MAP_POPULATE</c> maps the page
/// cache's pages in one call. The mapping is never unmapped: it lives as long as the process, and the
/// reader keeps slices of it for the diffs. That is why a run, which reads many plans, does not use it.
/// A pipe, a device, an empty file or one beyond an array's size is read from the same handle; a path
/// that cannot be opened is worded by
/// <see cref="PlanReader.ReadDetailedFileAsync(string, IReadOnlyList{System.Text.RegularExpressions.Regex}, CancellationToken, string?)"/>. A file truncated by another process while it is rendered ends the
/// process (SIGBUS), as it would any program that maps its input.
/// </summary>
public static partial class MappedPlanFile
{
    private const int ProtRead = 0x1;
    private const int MapPrivate = 0x02;
    private const int MapPopulate = 0x8000;

    /// <summary>The plan's summary and masked diffs, read from the mapped file when it can be mapped.</summary>
    /// <exception cref="PlanFormatException">Unreadable, not JSON, not a plan, or a format this PlanBot does not read.</exception>
    public static async Task<PlanSummary> ReadDetailedOnceAsync(string path, IReadOnlyList<System.Text.RegularExpressions.Regex> masks, CancellationToken cancellationToken = default)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return await PlanReader.ReadDetailedFileAsync(path, masks, cancellationToken).ConfigureAwait(false); // words why it cannot be read
        }

        using (handle)
        {
            if (TryMap(handle) is { } mapped)
            {
                return PlanReader.ReadDetailed(mapped, path, masks);
            }

            // A pipe (`--plan-json <(terraform show -json p)`, /dev/stdin), an empty file or one beyond an
            // array's size: read from this handle, so a pipe is not opened (and its writer cut off) twice.
            byte[] bytes;
            try
            {
                await using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                bytes = copy.ToArray();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                throw new PlanFormatException($"{path}: cannot read the plan file ({e.Message})", e);
            }

            return PlanReader.ReadDetailed(bytes, path, masks);
        }
    }

    /// <summary>The file's bytes, mapped; null when it cannot be mapped (read it the ordinary way).</summary>
    private static unsafe ReadOnlyMemory<byte>? TryMap(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        long length;
        try
        {
            length = RandomAccess.GetLength(handle);
        }
        catch (Exception e) when (e is IOException or NotSupportedException)
        {
            return null; // a pipe or a device that cannot seek
        }

        if (length is 0 or > int.MaxValue)
        {
            return null; // empty (not JSON: said by the reader), a device, or beyond an array's size
        }

        var address = Mmap(0, (nuint)length, ProtRead, MapPrivate | MapPopulate, (int)handle.DangerousGetHandle(), 0);
        return address == -1 ? null : new Mapping((byte*)address, (int)length).Memory;
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
