using System.Collections;
using System.IO.Compression;
using System.Text;
using Razorvine.Pickle;

namespace EdgeLlm.Kernels.Import.Hf;

/// <summary>
/// A PyTorch checkpoint in torch.save's zip format (torch ≥ 1.6): a zip holding <c>PREFIX/data.pkl</c> (a pickle
/// of the state dict), <c>PREFIX/data/KEY</c> (one raw little-endian storage per key), <c>PREFIX/byteorder</c>
/// and <c>PREFIX/version</c>. The pickle is read with Razorvine.Pickle: each tensor is a
/// <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c> call whose storage is a persistent
/// id <c>('storage', torch.HalfStorage, KEY, 'cpu', numel)</c>. Only the pickle is read on open; tensor data is
/// read from its storage entry when asked for, one tensor at a time.
/// </summary>
public sealed class TorchZipCheckpoint : IDisposable
{
    private readonly ZipArchive _zip;

    static TorchZipCheckpoint()
    {
        // Razorvine's constructor table is process-wide; these names only ever mean torch's classes.
        Unpickler.registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", new RebuildTensorConstructor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", new RebuildParameterConstructor());
        foreach (var (name, size, dtype) in StorageTypes)
        {
            Unpickler.registerConstructor("torch", name, new StorageType(name, size, dtype));
        }
    }

    private TorchZipCheckpoint(string path, ZipArchive zip, IReadOnlyList<HfTensor> tensors)
    {
        Path = path;
        _zip = zip;
        Tensors = tensors;
    }

    public string Path { get; }

    public IReadOnlyList<HfTensor> Tensors { get; }

    private static (string Name, int Size, HfDType? DType)[] StorageTypes =>
    [
        ("FloatStorage", 4, HfDType.F32),
        ("HalfStorage", 2, HfDType.F16),
        ("BFloat16Storage", 2, HfDType.BF16),
        ("DoubleStorage", 8, null),
        ("LongStorage", 8, null),
        ("IntStorage", 4, null),
        ("ShortStorage", 2, null),
        ("CharStorage", 1, null),
        ("ByteStorage", 1, null),
        ("BoolStorage", 1, null),
        ("ComplexFloatStorage", 8, null),
        ("ComplexDoubleStorage", 16, null),
        ("UntypedStorage", 1, null),
    ];

    public static TorchZipCheckpoint Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            Span<byte> magic = stackalloc byte[4];
            if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || magic[0] != 'P' || magic[1] != 'K')
            {
                throw new InvalidDataException($"{path}: not a zip archive; only torch.save's zip format (torch >= 1.6) is supported, not the legacy pickle-only format");
            }

            stream.Position = 0;
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: truncated or damaged zip archive ({e.Message})", e);
            }

            try
            {
                return new TorchZipCheckpoint(path, zip, ReadIndex(path, zip));
            }
            catch
            {
                zip.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static IReadOnlyList<HfTensor> ReadIndex(string path, ZipArchive zip)
    {
        var pkl = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (pkl.Count != 1)
        {
            throw new InvalidDataException($"{path}: not a torch checkpoint: expected one PREFIX/data.pkl in the zip, found {pkl.Count}");
        }

        string prefix = pkl[0].FullName[..^"data.pkl".Length];
        if (zip.GetEntry(prefix + "byteorder") is { } bo)
        {
            string order = Encoding.ASCII.GetString(ReadEntry(path, bo)).Trim();
            if (order != "little")
            {
                throw new InvalidDataException($"{path}: byteorder '{order}' is not supported (little only)");
            }
        }

        object root;
        try
        {
            using var unpickler = new TorchUnpickler();
            root = unpickler.loads(ReadEntry(path, pkl[0]));
        }
        catch (Exception e) when (e is PickleException or InvalidCastException or InvalidDataException or IndexOutOfRangeException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{path}: {pkl[0].FullName} is not a state dict pickle torch.save writes: {e.Message}", e);
        }

        if (root is not IDictionary dict)
        {
            throw new InvalidDataException($"{path}: the pickle holds a {root?.GetType().Name ?? "None"}, not a state dict");
        }

        var tensors = new List<HfTensor>();
        foreach (DictionaryEntry kv in dict)
        {
            if (kv.Key is not string name)
            {
                continue;
            }

            if (kv.Value is not TensorRecord rec)
            {
                throw new InvalidDataException($"{path}: '{name}' is not a tensor ({kv.Value?.GetType().Name ?? "None"})");
            }

            tensors.Add(ZipTensor.Create(path, zip, prefix, name, rec));
        }

        return tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
    }

    private static byte[] ReadEntry(string path, ZipArchiveEntry entry)
    {
        try
        {
            using var s = entry.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: zip entry {entry.FullName} is damaged ({e.Message})", e);
        }
    }

    public void Dispose() => _zip.Dispose();

    private static long ToLong(object? o, string what) => o switch
    {
        int i => i,
        long l => l,
        System.Numerics.BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        _ => throw new InvalidDataException($"{what} is {o?.GetType().Name ?? "None"}, not an integer"),
    };

    private static long[] ToLongs(object? o, string what) => o is object[] items
        ? items.Select((x, i) => ToLong(x, $"{what}[{i}]")).ToArray()
        : throw new InvalidDataException($"{what} is {o?.GetType().Name ?? "None"}, not a tuple");

    /// <summary>A torch storage class named in a persistent id, e.g. torch.HalfStorage.</summary>
    private sealed class StorageType(string name, int elementSize, HfDType? dtype) : IObjectConstructor
    {
        public string Name { get; } = name;
        public int ElementSize { get; } = elementSize;
        public HfDType? DType { get; } = dtype;

        public object construct(object[] args) => throw new PickleException($"torch.{Name} cannot be constructed directly");
    }

    private sealed record StorageRef(StorageType Type, string Key, long Numel);

    private sealed record TensorRecord(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    /// <summary>What collections.OrderedDict() becomes; BUILD hands it the state dict's _metadata, which is not needed.</summary>
    private sealed class PickledDict : Hashtable
    {
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "Python protocol name called by Razorvine")]
        public void __setstate__(Hashtable state)
        {
            _ = state;
        }
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        // Razorvine's BUILD finds __setstate__ by reflection: keep it in a trimmed / Native AOT build.
        [System.Diagnostics.CodeAnalysis.DynamicDependency(nameof(PickledDict.__setstate__), typeof(PickledDict))]
        public object construct(object[] args) => new PickledDict();
    }

    /// <summary>_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).</summary>
    private sealed class RebuildTensorConstructor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < 4 || args[0] is not StorageRef storage)
            {
                throw new PickleException("_rebuild_tensor_v2 expects (storage, offset, size, stride, ...)");
            }

            return new TensorRecord(storage, ToLong(args[1], "storage_offset"), ToLongs(args[2], "size"), ToLongs(args[3], "stride"));
        }
    }

    /// <summary>_rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its tensor.</summary>
    private sealed class RebuildParameterConstructor : IObjectConstructor
    {
        public object construct(object[] args) => args.Length >= 1 && args[0] is TensorRecord t ? t : throw new PickleException("_rebuild_parameter expects a tensor");
    }

    private sealed class TorchUnpickler : Unpickler
    {
        protected override object persistentLoad(object pid)
        {
            if (pid is not object[] { Length: >= 5 } t || t[0] as string != "storage")
            {
                throw new PickleException($"unsupported persistent id {pid}");
            }

            if (t[1] is not StorageType type)
            {
                throw new PickleException($"unsupported storage class {t[1]}");
            }

            string key = t[2] as string ?? throw new PickleException("storage key is not a string");
            return new StorageRef(type, key, ToLong(t[4], "storage numel"));
        }
    }

    private sealed class ZipTensor : HfTensor
    {
        private readonly ZipArchiveEntry _entry;
        private readonly long _byteOffset;

        private ZipTensor(string name, string file, HfDType dtype, long[] shape, ZipArchiveEntry entry, long byteOffset)
            : base(name, file, dtype, shape)
        {
            _entry = entry;
            _byteOffset = byteOffset;
        }

        public static ZipTensor Create(string path, ZipArchive zip, string prefix, string name, TensorRecord rec)
        {
            InvalidDataException Bad(string what) => new($"{path}: tensor '{name}': {what}");
            var st = rec.Storage.Type;
            if (st.DType is not { } dtype)
            {
                throw Bad($"unsupported dtype (torch.{st.Name}; F32, F16 or BF16 are supported)");
            }

            if (rec.Size.Length != rec.Stride.Length || rec.Size.Any(d => d < 0) || rec.Offset < 0)
            {
                throw Bad($"bad size [{string.Join(", ", rec.Size)}] / stride [{string.Join(", ", rec.Stride)}] / offset {rec.Offset}");
            }

            long expected = 1;
            for (int d = rec.Size.Length - 1; d >= 0; d--)
            {
                if (rec.Size[d] != 1 && rec.Stride[d] != expected)
                {
                    throw Bad($"not contiguous (size [{string.Join(", ", rec.Size)}], stride [{string.Join(", ", rec.Stride)}]); save it with .contiguous()");
                }

                expected *= rec.Size[d];
            }

            if (rec.Offset + expected > rec.Storage.Numel)
            {
                throw Bad($"elements [{rec.Offset}, {rec.Offset + expected}) lie outside its storage of {rec.Storage.Numel}");
            }

            string entryName = prefix + "data/" + rec.Storage.Key;
            var entry = zip.GetEntry(entryName) ?? throw Bad($"its storage {entryName} is missing from the zip");
            if (entry.Length < rec.Storage.Numel * st.ElementSize)
            {
                throw Bad($"storage {entryName} holds {entry.Length} bytes, {rec.Storage.Numel} {st.Name} elements need {rec.Storage.Numel * st.ElementSize}");
            }

            return new ZipTensor(name, path, dtype, rec.Size, entry, rec.Offset * st.ElementSize);
        }

        public override byte[] ReadBytes()
        {
            byte[] data = new byte[ByteCount];
            try
            {
                using var s = _entry.Open();
                if (s.CanSeek)
                {
                    s.Seek(_byteOffset, SeekOrigin.Begin);
                }
                else
                {
                    Skip(s, _byteOffset);
                }

                s.ReadExactly(data);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
            {
                throw new InvalidDataException($"{File}: tensor '{Name}': reading {_entry.FullName} failed ({e.Message})", e);
            }

            return data;
        }

        private static void Skip(Stream s, long count)
        {
            byte[] buffer = new byte[Math.Min(count, 1 << 20)];
            while (count > 0)
            {
                int n = s.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
                if (n == 0)
                {
                    throw new EndOfStreamException("storage ends early");
                }

                count -= n;
            }
        }
    }
}
