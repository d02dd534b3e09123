using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLlm.Kernels.Gguf;

/// <summary>What the parser found before the data section: everything is validated, tensor ranges included.</summary>
internal sealed record GgufHeader(
    uint Version,
    int Alignment,
    long DataOffset,
    Dictionary<string, GgufValue> Metadata,
    List<GgufTensorInfo> Tensors);

/// <summary>
/// Parses and validates the GGUF header, metadata and tensor directory. Layout (v2/v3, little-endian):
/// magic "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata entries (string key, u32 type,
/// value), tensor infos (string name, u32 n_dims, u64 dims[n_dims], u32 ggml type, u64 offset), padding to the
/// alignment, data section.
/// </summary>
internal static class GgufHeaderParser
{
    // Fewest bytes one metadata entry / tensor info can occupy; bounds the header counts by the file size.
    private const int MinMetadataEntryBytes = 8 + 4 + 1;
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

    public static GgufHeader Parse(GgufByteReader reader)
    {
        uint magic = reader.ReadUInt32("magic");
        if (magic != GgufConstants.Magic)
        {
            throw reader.Error($"not a GGUF file: magic is 0x{magic:X8}, expected \"GGUF\"");
        }

        uint version = reader.ReadUInt32("version");
        if (version is not (2 or 3))
        {
            // A byte-swapped v3 reads as 0x03000000: name that case rather than printing a silly version.
            throw reader.Error((version & 0xFFFF) == 0 && version != 0
                ? $"GGUF version 0x{version:X8} looks big-endian; only little-endian files are supported"
                : $"unsupported GGUF version {version} (only versions 2 and 3 are read)");
        }

        long tensorCount = reader.ReadCount("tensor count", MinTensorInfoBytes);
        long metadataCount = reader.ReadCount("metadata count", MinMetadataEntryBytes);

        var metadata = new Dictionary<string, GgufValue>((int)Math.Min(metadataCount, 1024), StringComparer.Ordinal);
        for (long i = 0; i < metadataCount; i++)
        {
            string key = reader.ReadString($"key of metadata entry #{i}");
            if (metadata.ContainsKey(key))
            {
                throw reader.Error($"duplicate metadata key '{key}'");
            }

            uint type = reader.ReadUInt32($"value type of metadata '{key}'");
            metadata.Add(key, ReadValue(reader, type, key, depth: 0));
        }

        int alignment = ReadAlignment(reader, metadata);
        var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 4096));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
        {
            GgufTensorInfo tensor = ReadTensorInfo(reader, i);
            if (!names.Add(tensor.Name))
            {
                throw reader.Error($"duplicate tensor name '{tensor.Name}'");
            }

            tensors.Add(tensor);
        }

        // The data section starts at the next aligned offset; with no tensors it may lie beyond the end.
        long dataOffset = AlignUp(reader.Position, alignment);
        foreach (GgufTensorInfo tensor in tensors)
        {
            CheckTensorRange(reader, tensor, alignment, dataOffset);
        }

        return new GgufHeader(version, alignment, dataOffset, metadata, tensors);
    }

    public static long AlignUp(long position, int alignment) => (position + alignment - 1) / alignment * alignment;

    private static GgufValue ReadValue(GgufByteReader reader, uint type, string key, int depth)
    {
        if (!GgufConstants.IsKnownValueType(type))
        {
            throw reader.Error($"metadata '{key}' has unknown value type {type}");
        }

        var valueType = (GgufValueType)type;
        switch (valueType)
        {
            case GgufValueType.String:
                return GgufValue.OfScalar(valueType, reader.ReadString($"string value of metadata '{key}'"));
            case GgufValueType.Array:
                return ReadArray(reader, key, depth);
            default:
                return GgufValue.OfScalar(valueType, ReadScalar(reader, valueType, key));
        }
    }

    private static object ReadScalar(GgufByteReader reader, GgufValueType type, string key)
    {
        string what = $"{type} value of metadata '{key}'";
        return type switch
        {
            GgufValueType.UInt8 => reader.ReadUInt8(what),
            GgufValueType.Int8 => (sbyte)reader.ReadUInt8(what),
            GgufValueType.UInt16 => reader.ReadUInt16(what),
            GgufValueType.Int16 => (short)reader.ReadUInt16(what),
            GgufValueType.UInt32 => reader.ReadUInt32(what),
            GgufValueType.Int32 => (int)reader.ReadUInt32(what),
            GgufValueType.Float32 => BitConverter.UInt32BitsToSingle(reader.ReadUInt32(what)),
            GgufValueType.Bool => ReadBool(reader, key),
            GgufValueType.UInt64 => reader.ReadUInt64(what),
            GgufValueType.Int64 => (long)reader.ReadUInt64(what),
            GgufValueType.Float64 => BitConverter.UInt64BitsToDouble(reader.ReadUInt64(what)),
            _ => throw new InvalidOperationException($"{type} is not a scalar"),
        };
    }

    /// <summary>
    /// An array of fixed-size scalars as a typed .NET array, decoded in one pass: no boxing and no description string per
    /// element (a vocabulary's scores and token types are tens of thousands each). <see cref="GgufByteReader.ReadCount"/>
    /// has already checked that the whole array fits in the file.
    /// </summary>
    private static Array ReadScalarArray(GgufByteReader reader, GgufValueType type, string key, int n)
    {
        ReadOnlySpan<byte> bytes = reader.Take((long)n * GgufConstants.ScalarSize(type), $"{n} {type} elements of array '{key}'");
        switch (type)
        {
            case GgufValueType.UInt8: return bytes.ToArray();
            case GgufValueType.Int8: return LittleEndian<sbyte>(bytes);
            case GgufValueType.UInt16: return LittleEndian<ushort>(bytes);
            case GgufValueType.Int16: return LittleEndian<short>(bytes);
            case GgufValueType.UInt32: return LittleEndian<uint>(bytes);
            case GgufValueType.Int32: return LittleEndian<int>(bytes);
            case GgufValueType.Float32: return LittleEndian<float>(bytes);
            case GgufValueType.UInt64: return LittleEndian<ulong>(bytes);
            case GgufValueType.Int64: return LittleEndian<long>(bytes);
            case GgufValueType.Float64: return LittleEndian<double>(bytes);
            case GgufValueType.Bool:
                var bools = new bool[n];
                for (int i = 0; i < n; i++)
                {
                    bools[i] = bytes[i] switch
                    {
                        0 => false,
                        1 => true,
                        _ => throw reader.Error($"metadata '{key}' has invalid Bool byte {bytes[i]} (must be 0 or 1)"),
                    };
                }

                return bools;
            default:
                throw new InvalidOperationException($"{type} is not a scalar");
        }
    }

    /// <summary>Little-endian file bytes as T[]; byte-swapped on a big-endian host.</summary>
    private static T[] LittleEndian<T>(ReadOnlySpan<byte> bytes)
        where T : unmanaged
    {
        T[] values = MemoryMarshal.Cast<byte, T>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            Span<byte> raw = MemoryMarshal.AsBytes(values.AsSpan());
            switch (Unsafe.SizeOf<T>())
            {
                case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(raw), MemoryMarshal.Cast<byte, ushort>(raw)); break;
                case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(raw), MemoryMarshal.Cast<byte, uint>(raw)); break;
                case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(raw), MemoryMarshal.Cast<byte, ulong>(raw)); break;
                default: break;
            }
        }

        return values;
    }

    private static bool ReadBool(GgufByteReader reader, string key)
    {
        byte value = reader.ReadUInt8($"Bool value of metadata '{key}'");
        return value switch
        {
            0 => false,
            1 => true,
            _ => throw reader.Error($"metadata '{key}' has invalid Bool byte {value} (must be 0 or 1)"),
        };
    }

    private static GgufValue ReadArray(GgufByteReader reader, string key, int depth)
    {
        uint elementType = reader.ReadUInt32($"element type of array '{key}'");
        if (!GgufConstants.IsKnownValueType(elementType))
        {
            throw reader.Error($"array '{key}' has unknown element type {elementType}");
        }

        var type = (GgufValueType)elementType;
        if (type == GgufValueType.Array && depth + 1 >= GgufConstants.MaxArrayNesting)
        {
            throw reader.Error($"array '{key}' nests arrays deeper than {GgufConstants.MaxArrayNesting} levels");
        }

        long count = reader.ReadCount($"element count of array '{key}'", GgufConstants.MinEncodedSize(type));
        if (count > Array.MaxLength)
        {
            throw reader.Error($"array '{key}' has {count} elements, more than .NET can hold");
        }

        int n = (int)count;
        switch (type)
        {
            case GgufValueType.String:
                var strings = new string[n];
                for (int i = 0; i < n; i++)
                {
                    strings[i] = reader.ReadArrayString(key, i);
                }

                return GgufValue.OfArray(type, strings);
            case GgufValueType.Array:
                var arrays = new GgufValue[n];
                for (int i = 0; i < n; i++)
                {
                    // Each element is itself (element type, count, elements), with no extra type tag.
                    arrays[i] = ReadArray(reader, key, depth + 1);
                }

                return GgufValue.OfArray(type, arrays);
            default:
                return GgufValue.OfArray(type, ReadScalarArray(reader, type, key, n));
        }
    }

    private static int ReadAlignment(GgufByteReader reader, Dictionary<string, GgufValue> metadata)
    {
        if (!metadata.TryGetValue(GgufConstants.AlignmentKey, out GgufValue? value))
        {
            return GgufConstants.DefaultAlignment;
        }

        long alignment;
        try
        {
            alignment = value.AsInt64();
        }
        catch (InvalidOperationException e)
        {
            throw reader.Error($"{GgufConstants.AlignmentKey}: {e.Message}");
        }

        if (!GgufConstants.IsPowerOfTwo(alignment) || alignment > 1 << 30)
        {
            throw reader.Error($"{GgufConstants.AlignmentKey} is {alignment}, not a power of two");
        }

        return (int)alignment;
    }

    private static GgufTensorInfo ReadTensorInfo(GgufByteReader reader, long index)
    {
        string name = reader.ReadString($"name of tensor #{index}");
        uint dims = reader.ReadUInt32($"dimension count of tensor '{name}'");
        if (dims is < 1 or > GgufConstants.MaxDims)
        {
            throw reader.Error($"tensor '{name}' has {dims} dimensions (must be 1..{GgufConstants.MaxDims})");
        }

        var shape = new long[dims];
        for (int d = 0; d < dims; d++)
        {
            ulong dim = reader.ReadUInt64($"dimension {d} of tensor '{name}'");
            if (dim is < 1 or > long.MaxValue)
            {
                throw reader.Error($"tensor '{name}' dimension {d} is {dim} (must be >= 1)");
            }

            shape[d] = (long)dim;
        }

        uint type = reader.ReadUInt32($"type of tensor '{name}'");
        if (!GgmlTypeInfo.IsKnown(type))
        {
            throw reader.Error($"tensor '{name}' has unknown ggml type {type}");
        }

        string? problem = GgufTensorShape.Validate((GgmlType)type, shape, out _, out long byteSize);
        if (problem is not null)
        {
            throw reader.Error($"tensor '{name}' {problem}");
        }

        ulong offset = reader.ReadUInt64($"data offset of tensor '{name}'");
        if (offset > long.MaxValue)
        {
            throw reader.Error($"tensor '{name}' data offset {offset} is outside the file");
        }

        return new GgufTensorInfo(name, (GgmlType)type, shape, (long)offset, byteSize);
    }

    private static void CheckTensorRange(GgufByteReader reader, GgufTensorInfo tensor, int alignment, long dataOffset)
    {
        if (tensor.Offset % alignment != 0)
        {
            throw reader.Error($"tensor '{tensor.Name}' data offset {tensor.Offset} is not aligned to {alignment}");
        }

        // Written as subtractions so huge offsets or sizes cannot overflow the comparison.
        long available = reader.Length - dataOffset;
        if (available < 0 || tensor.Offset > available || tensor.ByteSize > available - tensor.Offset)
        {
            throw reader.Error(
                $"tensor '{tensor.Name}' data [{tensor.Offset}, +{tensor.ByteSize}) from data offset {dataOffset} " +
                $"lies outside the file of {reader.Length} bytes");
        }
    }
}
