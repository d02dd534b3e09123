using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace EdgeLlm.Kernels.Gguf;

/// <summary>
/// A GGUF v2/v3 file mapped read-only. Open validates the whole header, metadata and tensor directory against
/// the file length, so the tensor pointers and spans handed out afterwards always lie inside the map. Where the
/// runtime cannot map files (Meadow-class boards may not: hardware/meadow/README.md), the file is read into one
/// aligned native block instead and the same pointers point into it.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    private byte* _base;

    private GgufFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePointer, long length, GgufHeader header)
    {
        FilePath = path;
        _map = map;
        _view = view;
        _base = basePointer;
        FileLength = length;
        Version = header.Version;
        Alignment = header.Alignment;
        DataOffset = header.DataOffset;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
        _tensorsByName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string FilePath { get; }

    public uint Version { get; }

    public int Alignment { get; }

    /// <summary>Absolute file offset of the data section (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }

    public long FileLength { get; }

    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>False when the file was read into memory because this runtime cannot map it.</summary>
    public bool IsMapped => _map is not null;

    /// <summary>Maps and validates <paramref name="path"/>; a malformed file throws GgufFormatException.</summary>
    public static GgufFile Open(string path)
    {
        // Share Delete so a writer may atomically replace the file while we keep the old contents mapped.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        long length = stream.Length;
        if (length == 0)
        {
            // Mapping an empty file is an ArgumentException in .NET; report it as the truncation it is.
            stream.Dispose();
            throw new GgufFormatException(path, "truncated: the file is empty");
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* pointer = null;
        try
        {
            try
            {
                map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            }
            catch (PlatformNotSupportedException)
            {
                return ReadIntoMemory(path, stream, length);
            }

            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointer += view.PointerOffset;
            GgufHeader header = GgufHeaderParser.Parse(new GgufByteReader(path, pointer, length));
            return new GgufFile(path, map, view, pointer, length, header);
        }
        catch
        {
            if (pointer != null)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            if (map is null)
            {
                stream.Dispose();
            }

            map?.Dispose();
            throw;
        }
    }

    /// <summary>Reads and validates <paramref name="path"/> into memory, as <see cref="Open"/> does where files cannot be mapped.</summary>
    internal static GgufFile OpenInMemory(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        long length = stream.Length;
        if (length == 0)
        {
            stream.Dispose();
            throw new GgufFormatException(path, "truncated: the file is empty");
        }

        return ReadIntoMemory(path, stream, length);
    }

    /// <summary>The whole file in one 64-byte-aligned native block (tensor data keeps the alignment the file gives it).</summary>
    private static GgufFile ReadIntoMemory(string path, FileStream stream, long length)
    {
        byte* block = null;
        try
        {
            block = (byte*)NativeMemory.AlignedAlloc((nuint)length, 64);
            stream.Position = 0;
            for (long done = 0; done < length;)
            {
                int read = stream.Read(new Span<byte>(block + done, (int)Math.Min(length - done, 1 << 30)));
                if (read == 0)
                {
                    throw new GgufFormatException(path, $"truncated: the file ended at {done} of {length} bytes while reading it");
                }

                done += read;
            }

            GgufHeader header = GgufHeaderParser.Parse(new GgufByteReader(path, block, length));
            return new GgufFile(path, null, null, block, length, header);
        }
        catch
        {
            NativeMemory.AlignedFree(block);
            throw;
        }
        finally
        {
            stream.Dispose();
        }
    }

    public GgufValue? TryGet(string key) => Metadata.TryGetValue(key, out GgufValue? value) ? value : null;

    public string GetString(string key) => Convert(key, Require(key), v => v.AsString());

    /// <summary>Null when absent; a value of another type is a format error, not "absent".</summary>
    public string? TryGetString(string key) => TryGet(key) is { } value ? Convert(key, value, v => v.AsString()) : null;

    /// <summary>Any integer type.</summary>
    public long GetInt64(string key) => Convert(key, Require(key), v => v.AsInt64());

    public long? TryGetInt64(string key) => TryGet(key) is { } value ? Convert(key, value, v => v.AsInt64()) : null;

    /// <summary>Float32, Float64 or any integer type.</summary>
    public float GetSingle(string key) => Convert(key, Require(key), v => (float)v.AsDouble());

    public float? TryGetSingle(string key) => TryGet(key) is { } value ? Convert(key, value, v => (float)v.AsDouble()) : null;

    public bool? TryGetBool(string key) => TryGet(key) is { } value ? Convert(key, value, v => v.AsBool()) : null;

    public bool TryGetTensor(string name, [NotNullWhen(true)] out GgufTensorInfo? tensor) =>
        _tensorsByName.TryGetValue(name, out tensor);

    public GgufTensorInfo GetTensor(string name) =>
        TryGetTensor(name, out GgufTensorInfo? tensor) ? tensor : throw new GgufFormatException(FilePath, $"missing tensor '{name}'");

    /// <summary>Start of the tensor's bytes inside the map; valid until Dispose.</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);

        // The record may not come from this file: check its range again before forming a pointer.
        long available = FileLength - DataOffset;
        if (tensor.Offset < 0 || tensor.ByteSize < 0 || available < 0 || tensor.Offset > available || tensor.ByteSize > available - tensor.Offset)
        {
            throw new ArgumentException($"tensor '{tensor.Name}' [{tensor.Offset}, +{tensor.ByteSize}) is not inside {FilePath}", nameof(tensor));
        }

        return _base + DataOffset + tensor.Offset;
    }

    /// <summary>The tensor's bytes as a zero-copy span over the map; valid until Dispose.</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        byte* pointer = GetTensorPointer(tensor);
        if (tensor.ByteSize > int.MaxValue)
        {
            throw new InvalidOperationException($"tensor '{tensor.Name}' is {tensor.ByteSize} bytes, too large for a span; use GetTensorPointer");
        }

        return new ReadOnlySpan<byte>(pointer, (int)tensor.ByteSize);
    }

    public void Dispose()
    {
        if (_base == null)
        {
            return;
        }

        byte* block = _base;
        _base = null;
        if (_view is null)
        {
            NativeMemory.AlignedFree(block);
            return;
        }

        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
    }

    private GgufValue Require(string key) =>
        TryGet(key) ?? throw new GgufFormatException(FilePath, $"missing metadata key '{key}'");

    private T Convert<T>(string key, GgufValue value, Func<GgufValue, T> read)
    {
        try
        {
            return read(value);
        }
        catch (InvalidOperationException e)
        {
            throw new GgufFormatException(FilePath, $"metadata key '{key}': {e.Message}");
        }
    }
}
