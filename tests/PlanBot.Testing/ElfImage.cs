using System.Buffers.Binary;
using System.Text;

namespace PlanBot.Testing;

/// <summary>
/// What a 64-bit little-endian ELF executable says about how it is loaded (issue 19's NativeAOT binaries):
/// whether it is position-independent, its hardening (RELRO, immediate binding, a non-executable stack)
/// and its section names (a dehydrated NativeAOT binary has a <c>.hydrated</c> section). Read from the
/// headers, as <c>readelf -h -l -d -S</c> would show them, without a tool the machine may lack.
/// </summary>
public sealed record ElfImage(bool PositionIndependent, bool RelRo, bool BindNow, bool ExecutableStack, IReadOnlyList<string> Sections)
{
    private const ushort TypeDyn = 3;
    private const uint ProgramDynamic = 2;
    private const uint ProgramGnuStack = 0x6474e551;
    private const uint ProgramGnuRelRo = 0x6474e552;
    private const uint FlagExecute = 1;
    private const long TagFlags = 30;
    private const long TagFlags1 = 0x6ffffffb;
    private const ulong BindNowFlag = 0x8;
    private const ulong Now1Flag = 0x1;

    public static ElfImage Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 64 || !bytes.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || bytes[4] != 2 || bytes[5] != 1)
        {
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file");
        }

        ushort U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(checked((int)at)));
        uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(checked((int)at)));
        ulong U64(long at) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(checked((int)at)));

        var relro = false;
        var bindNow = false;
        var executableStack = true; // no PT_GNU_STACK: the loader's default is an executable stack
        var programs = (long)U64(32);
        for (var i = 0; i < U16(56); i++)
        {
            var header = programs + (i * U16(54));
            switch (U32(header))
            {
                case ProgramGnuRelRo:
                    relro = true;
                    break;
                case ProgramGnuStack:
                    executableStack = (U32(header + 4) & FlagExecute) != 0;
                    break;
                case ProgramDynamic:
                    for (var entry = (long)U64(header + 8); entry + 16 <= (long)(U64(header + 8) + U64(header + 32)); entry += 16)
                    {
                        var tag = (long)U64(entry);
                        bindNow |= (tag == TagFlags && (U64(entry + 8) & BindNowFlag) != 0) || (tag == TagFlags1 && (U64(entry + 8) & Now1Flag) != 0);
                    }

                    break;
            }
        }

        var sectionHeaders = (long)U64(40);
        var size = U16(58);
        var names = sectionHeaders + (U16(62) * size);
        var strings = (long)U64(names + 24);
        var sections = new List<string>();
        for (var i = 0; i < U16(60); i++)
        {
            var start = checked((int)(strings + U32(sectionHeaders + (i * size))));
            sections.Add(Encoding.ASCII.GetString(bytes, start, bytes.AsSpan(start).IndexOf((byte)0)));
        }

        return new ElfImage(U16(16) == TypeDyn, relro, bindNow, executableStack, sections);
    }
}
