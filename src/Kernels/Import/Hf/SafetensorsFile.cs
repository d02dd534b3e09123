using System.Buffers.Binary;
using System.Text.Json;

namespace EdgeLlm.Kernels.Import.Hf;

/// <summary>
/// A <c>.safetensors</c> file: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name
/// to {dtype, shape, data_offsets [begin, end)} (offsets relative to the byte after the header; an optional
/// <c>__metadata__</c> entry), then the raw row-major little-endian data. Only the header is read on open; every
/// offset is checked against the file length there, so a truncated file fails before any conversion starts.
/// </summary>
public static class SafetensorsFile
{
    private const long MaxHeaderBytes = 100L << 20;

    public static IReadOnlyList<HfTensor> ReadTensors(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) != 8)
        {
            throw new InvalidDataException($"{path}: truncated safetensors file ({length} bytes, no header)");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"{path}: safetensors header length {headerLength} is implausible");
        }

        if ((long)headerLength > length - 8)
        {
            throw new InvalidDataException($"{path}: truncated safetensors file: the header needs {headerLength} bytes, {length - 8} remain");
        }

        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;

        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(header);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: safetensors header is not valid JSON: {e.Message}", e);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: safetensors header is not a JSON object");
        }

        var tensors = new List<HfTensor>();
        foreach (var entry in root.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                continue;
            }

            InvalidDataException Bad(string what) => new($"{path}: tensor '{entry.Name}': {what}");
            var v = entry.Value;
            if (v.ValueKind != JsonValueKind.Object
                || !v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String
                || !v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array
                || !v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            {
                throw Bad("header entry needs dtype, shape and data_offsets");
            }

            string dtypeName = dt.GetString()!;
            HfDType dtype = dtypeName switch
            {
                "F32" => HfDType.F32,
                "F16" => HfDType.F16,
                "BF16" => HfDType.BF16,
                _ => throw Bad($"unsupported dtype {dtypeName} (F32, F16 or BF16)"),
            };

            long[] shape = sh.EnumerateArray().Select(d => d.TryGetInt64(out long x) && x >= 0 ? x : throw Bad($"bad shape {sh.GetRawText()}")).ToArray();
            if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            {
                throw Bad($"bad data_offsets {off.GetRawText()}");
            }

            var t = new Tensor(entry.Name, path, dtype, shape, dataStart + begin);
            if (end - begin != t.ByteCount)
            {
                throw Bad($"data_offsets [{begin}, {end}) hold {end - begin} bytes, its shape [{string.Join(", ", shape)}] of {dtypeName} needs {t.ByteCount}");
            }

            if (dataStart + end > length)
            {
                throw Bad($"truncated safetensors file: the data ends at byte {dataStart + end}, the file has {length}");
            }

            tensors.Add(t);
        }

        return tensors;
    }

    private sealed class Tensor(string name, string file, HfDType dtype, long[] shape, long offset) : HfTensor(name, file, dtype, shape)
    {
        public override byte[] ReadBytes()
        {
            byte[] data = new byte[ByteCount];
            using var handle = System.IO.File.OpenHandle(File);
            int read = 0;
            while (read < data.Length)
            {
                int n = RandomAccess.Read(handle, data.AsSpan(read), offset + read);
                if (n == 0)
                {
                    throw new InvalidDataException($"{File}: truncated safetensors file while reading tensor '{Name}'");
                }

                read += n;
            }

            return data;
        }
    }
}
