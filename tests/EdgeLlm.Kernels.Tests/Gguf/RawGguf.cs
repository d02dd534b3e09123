using System.Text;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>
/// Hand-assembles GGUF bytes field by field, independently of GgufWriter, to build malformed files and the
/// expected bytes of the writer's layout.
/// </summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();
    private readonly BinaryWriter _writer;

    public RawGguf()
    {
        _writer = new BinaryWriter(_bytes);
    }

    public long Length => _bytes.Length;

    /// <summary>Magic, version and the two u64 counts.</summary>
    public static RawGguf Header(ulong tensorCount, ulong metadataCount, uint version = 3) =>
        new RawGguf().Bytes("GGUF"u8).U32(version).U64(tensorCount).U64(metadataCount);

    public RawGguf Bytes(ReadOnlySpan<byte> bytes)
    {
        _writer.Write(bytes);
        return this;
    }

    public RawGguf U8(byte value)
    {
        _writer.Write(value);
        return this;
    }

    public RawGguf U32(uint value)
    {
        _writer.Write(value);
        return this;
    }

    public RawGguf U64(ulong value)
    {
        _writer.Write(value);
        return this;
    }

    public RawGguf F32(float value)
    {
        _writer.Write(value);
        return this;
    }

    public RawGguf Str(string value) => StrBytes(Encoding.UTF8.GetBytes(value));

    public RawGguf StrBytes(byte[] utf8) => U64((ulong)utf8.Length).Bytes(utf8);

    /// <summary>A metadata entry holding a u32.</summary>
    public RawGguf KvU32(string key, uint value) => Str(key).U32(4).U32(value);

    public RawGguf KvStr(string key, string value) => Str(key).U32(8).Str(value);

    /// <summary>A tensor info: name, n_dims, dims, ggml type, offset.</summary>
    public RawGguf Tensor(string name, uint type, ulong offset, params ulong[] dims)
    {
        Str(name).U32((uint)dims.Length);
        foreach (ulong dim in dims)
        {
            U64(dim);
        }

        return U32(type).U64(offset);
    }

    public RawGguf PadTo(int alignment)
    {
        while (_bytes.Length % alignment != 0)
        {
            _writer.Write((byte)0);
        }

        return this;
    }

    public RawGguf Zeros(int count) => Bytes(new byte[count]);

    public byte[] ToArray()
    {
        _writer.Flush();
        return _bytes.ToArray();
    }
}
