using System.Text;

namespace EdgeLlm.Kernels.Gguf;

/// <summary>
/// Builds a GGUF v3 file the way llama.cpp lays it out: header with u64 counts, metadata in insertion order,
/// tensor infos, zero padding to the alignment, then each tensor's data padded to the alignment, tensor offsets
/// consecutive from 0. Arguments are validated when added, so WriteTo fails only on I/O or a streamed tensor
/// writing the wrong byte count.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    public GgufWriter(int alignment = GgufConstants.DefaultAlignment)
    {
        if (!GgufConstants.IsPowerOfTwo(alignment))
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "alignment must be a power of two");
        }

        Alignment = alignment;
    }

    public int Alignment { get; }

    public void AddString(string key, string value) => Add(key, GgufValueType.String, value);

    public void AddUInt8(string key, byte value) => Add(key, GgufValueType.UInt8, value);

    public void AddInt8(string key, sbyte value) => Add(key, GgufValueType.Int8, value);

    public void AddUInt16(string key, ushort value) => Add(key, GgufValueType.UInt16, value);

    public void AddInt16(string key, short value) => Add(key, GgufValueType.Int16, value);

    public void AddUInt32(string key, uint value) => Add(key, GgufValueType.UInt32, value);

    public void AddInt32(string key, int value) => Add(key, GgufValueType.Int32, value);

    public void AddUInt64(string key, ulong value) => Add(key, GgufValueType.UInt64, value);

    public void AddInt64(string key, long value) => Add(key, GgufValueType.Int64, value);

    public void AddFloat32(string key, float value) => Add(key, GgufValueType.Float32, value);

    public void AddFloat64(string key, double value) => Add(key, GgufValueType.Float64, value);

    public void AddBool(string key, bool value) => Add(key, GgufValueType.Bool, value);

    public void AddStringArray(string key, IReadOnlyList<string> values) => AddArray(key, values);

    public void AddFloat32Array(string key, IReadOnlyList<float> values) => AddArray(key, values);

    public void AddInt32Array(string key, IReadOnlyList<int> values) => AddArray(key, values);

    /// <summary>An array of any GGUF scalar element type: byte, sbyte, ushort, short, uint, int, float, bool, string, ulong, long, double.</summary>
    public void AddArray<T>(string key, IReadOnlyList<T> values)
    {
        GgufValueType elementType = ScalarTypeOf(typeof(T))
            ?? throw new ArgumentException($"{typeof(T).Name} is not a GGUF scalar type", nameof(values));
        T[] copy = [.. values];
        if (copy is string[] strings)
        {
            foreach (string s in strings)
            {
                CheckEncodable(s, nameof(values));
            }
        }

        AddValue(key, GgufValue.OfArray(elementType, copy));
    }

    /// <summary>Any value, e.g. one read from another file (arrays of arrays included).</summary>
    public void AddValue(string key, GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckEncodable(key, nameof(key));
        if (value.Type == GgufValueType.String)
        {
            CheckEncodable(value.AsString(), nameof(value));
        }

        if (key == GgufConstants.AlignmentKey && !(value.Type == GgufValueType.UInt32 && (uint)value.Value == (uint)Alignment))
        {
            // llama.cpp reads general.alignment as u32; the writer owns it so it always matches the layout.
            throw new ArgumentException($"{key} is set by the writer's alignment ({Alignment}); pass it to the constructor", nameof(key));
        }

        if (!_keys.Add(key))
        {
            throw new ArgumentException($"duplicate metadata key '{key}'", nameof(key));
        }

        _metadata.Add(new(key, value));
    }

    public void AddTensor(string name, GgmlType type, long[] shape, ReadOnlyMemory<byte> data)
    {
        long byteSize = CheckTensor(name, type, shape);
        if (data.Length != byteSize)
        {
            throw new ArgumentException($"tensor '{name}' needs {byteSize} bytes of {type} data but got {data.Length}", nameof(data));
        }

        _tensors.Add(new PendingTensor(name, type, (long[])shape.Clone(), byteSize, data, null));
    }

    /// <summary>A tensor whose bytes are produced while writing (for GB-sized models); it must write exactly its byte size.</summary>
    public void AddTensor(string name, GgmlType type, long[] shape, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        long byteSize = CheckTensor(name, type, shape);
        _tensors.Add(new PendingTensor(name, type, (long[])shape.Clone(), byteSize, default, writeData));
    }

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and renames it into place, so a failure never leaves a half-written model.</summary>
    public void WriteTo(string path)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"no directory in '{path}'", nameof(path));
        string temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteContents(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private void WriteContents(FileStream stream)
    {
        List<KeyValuePair<string, GgufValue>> metadata = [.. _metadata];
        if (Alignment != GgufConstants.DefaultAlignment && !_keys.Contains(GgufConstants.AlignmentKey))
        {
            metadata.Insert(0, new(GgufConstants.AlignmentKey, GgufValue.OfScalar(GgufValueType.UInt32, (uint)Alignment)));
        }

        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);   // always little-endian
        writer.Write(GgufConstants.Magic);
        writer.Write(GgufConstants.Version);
        writer.Write((ulong)_tensors.Count);
        writer.Write((ulong)metadata.Count);
        foreach ((string key, GgufValue value) in metadata)
        {
            WriteString(writer, key);
            writer.Write((uint)value.Type);
            WriteValue(writer, value);
        }

        long offset = 0;
        foreach (PendingTensor tensor in _tensors)
        {
            WriteString(writer, tensor.Name);
            writer.Write((uint)tensor.Shape.Length);
            foreach (long dim in tensor.Shape)
            {
                writer.Write((ulong)dim);
            }

            writer.Write((uint)tensor.Type);
            writer.Write((ulong)offset);
            offset = GgufHeaderParser.AlignUp(offset + tensor.ByteSize, Alignment);
        }

        writer.Flush();
        WritePadding(stream);
        foreach (PendingTensor tensor in _tensors)
        {
            if (tensor.WriteData is null)
            {
                stream.Write(tensor.Data.Span);
            }
            else
            {
                var counter = new ExactLengthStream(stream, tensor.Name, tensor.ByteSize);
                tensor.WriteData(counter);
                counter.CheckComplete();
            }

            WritePadding(stream);
        }
    }

    private void WritePadding(Stream stream)
    {
        long padding = GgufHeaderParser.AlignUp(stream.Position, Alignment) - stream.Position;
        for (long i = 0; i < padding; i++)
        {
            stream.WriteByte(0);
        }
    }

    private static void WriteValue(BinaryWriter writer, GgufValue value)
    {
        if (value.Type != GgufValueType.Array)
        {
            WriteScalar(writer, value.Value);
            return;
        }

        writer.Write((uint)value.ElementType);
        var array = (Array)value.Value;
        writer.Write((ulong)array.Length);
        foreach (object element in array)
        {
            if (element is GgufValue nested)
            {
                WriteValue(writer, nested);   // nested arrays carry no extra type tag
            }
            else
            {
                WriteScalar(writer, element);
            }
        }
    }

    private static void WriteScalar(BinaryWriter writer, object value)
    {
        switch (value)
        {
            case byte v: writer.Write(v); break;
            case sbyte v: writer.Write(v); break;
            case ushort v: writer.Write(v); break;
            case short v: writer.Write(v); break;
            case uint v: writer.Write(v); break;
            case int v: writer.Write(v); break;
            case float v: writer.Write(v); break;
            case bool v: writer.Write(v); break;
            case ulong v: writer.Write(v); break;
            case long v: writer.Write(v); break;
            case double v: writer.Write(v); break;
            case string v: WriteString(writer, v); break;
            default: throw new InvalidOperationException($"{value.GetType().Name} is not a GGUF scalar");
        }
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = GgufConstants.StrictUtf8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private void Add(string key, GgufValueType type, object value) => AddValue(key, GgufValue.OfScalar(type, value));

    private long CheckTensor(string name, GgmlType type, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        CheckEncodable(name, nameof(name));
        if (GgufConstants.StrictUtf8.GetByteCount(name) > GgufConstants.MaxTensorNameBytes)
        {
            throw new ArgumentException($"tensor name '{name}' is longer than llama.cpp's {GgufConstants.MaxTensorNameBytes} bytes", nameof(name));
        }

        string? problem = GgufTensorShape.Validate(type, shape, out _, out long byteSize);
        if (problem is not null)
        {
            throw new ArgumentException($"tensor '{name}' {problem}", nameof(shape));
        }

        if (!_tensorNames.Add(name))
        {
            throw new ArgumentException($"duplicate tensor name '{name}'", nameof(name));
        }

        return byteSize;
    }

    private static void CheckEncodable(string value, string parameter)
    {
        ArgumentNullException.ThrowIfNull(value, parameter);
        try
        {
            GgufConstants.StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"'{value}' is not encodable as UTF-8 (lone surrogate)", parameter, e);
        }
    }

    private static GgufValueType? ScalarTypeOf(Type type)
    {
        for (GgufValueType t = GgufValueType.UInt8; t <= GgufValueType.Float64; t++)
        {
            if (t != GgufValueType.Array && GgufValue.ClrTypeOf(t) == type)
            {
                return t;
            }
        }

        return null;
    }

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Shape, long ByteSize, ReadOnlyMemory<byte> Data, Action<Stream>? WriteData);
}
