using System.Buffers.Binary;
using System.Text;

namespace EdgeLlm.Kernels.Gguf;

/// <summary>
/// Little-endian reads from the mapped file. Every read checks the bytes remaining first, so a malformed file
/// yields a GgufFormatException ("truncated ...") and never a read past the end of the map.
/// </summary>
internal sealed unsafe class GgufByteReader
{
    private readonly byte* _start;

    public GgufByteReader(string filePath, byte* start, long length)
    {
        FilePath = filePath;
        _start = start;
        Length = length;
    }

    public string FilePath { get; }

    public long Length { get; }

    public long Position { get; private set; }

    public long Remaining => Length - Position;

    public GgufFormatException Error(string problem) => new(FilePath, problem);

    /// <summary>Ensures <paramref name="count"/> bytes are left and returns them; <paramref name="what"/> names the field for the error.</summary>
    public ReadOnlySpan<byte> Take(long count, string what)
    {
        if (count < 0 || count > Remaining)
        {
            throw Error($"truncated: {what} needs {(ulong)count} bytes at offset {Position} but the file is {Length} bytes long");
        }

        if (count > int.MaxValue)
        {
            throw Error($"{what} of {count} bytes at offset {Position} is too large");
        }

        var span = new ReadOnlySpan<byte>(_start + Position, (int)count);
        Position += count;
        return span;
    }

    public byte ReadUInt8(string what) => Take(1, what)[0];

    public ushort ReadUInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));

    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    /// <summary>A u64 count that must be affordable: <paramref name="minBytesEach"/> per item within the bytes left.</summary>
    public long ReadCount(string what, int minBytesEach)
    {
        ulong count = ReadUInt64(what);
        if (minBytesEach > 0 && count > (ulong)(Remaining / minBytesEach))
        {
            throw Error($"{what} is {count}, more than the {Remaining} bytes left at offset {Position} can hold");
        }

        return (long)count;
    }

    /// <summary>A GGUF string: u64 byte length then UTF-8 bytes (no terminator), decoded strictly.</summary>
    public string ReadString(string what) => ReadString(what, null, 0);

    /// <summary>
    /// Element <paramref name="index"/> of the string array <paramref name="arrayKey"/>, named "element {index} of array
    /// '{arrayKey}'" in errors. The name is built only when one is thrown: a vocabulary has tens of thousands of
    /// elements, and formatting two names for each left megabytes of garbage behind every model load.
    /// </summary>
    public string ReadArrayString(string arrayKey, int index) => ReadString(null, arrayKey, index);

    private string ReadString(string? what, string? arrayKey, int index)
    {
        long start = Position;
        if (Remaining < sizeof(ulong))
        {
            Take(sizeof(ulong), $"length of {Name()}"); // throws the truncation error
        }

        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(_start + Position, sizeof(ulong)));
        Position += sizeof(ulong);
        if (length > (ulong)Remaining)
        {
            throw Error($"truncated: {Name()} at offset {start} claims {length} bytes but only {Remaining} remain");
        }

        if (length == 0)
        {
            return string.Empty;
        }

        if (length > int.MaxValue)
        {
            throw Error($"{Name()} of {length} bytes at offset {Position} is too large");
        }

        var bytes = new ReadOnlySpan<byte>(_start + Position, (int)length);
        Position += (long)length;
        try
        {
            return GgufConstants.StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error($"{Name()} at offset {start} is not valid UTF-8");
        }

        string Name() => what ?? $"element {index} of array '{arrayKey}'";
    }
}
