using System.Buffers.Binary;
using System.Diagnostics;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>
/// Seeded mutation fuzz of a small writer-built model: every variant must either open and let us read all of it,
/// or throw GgufFormatException. Any other exception (or a crash) is a reader bug.
/// </summary>
public sealed class GgufMutationFuzzTests
{
    private const int Seed = 20240611;
    private const int RandomMutations = 2500;

    [Test]
    public void TruncatedAndMutatedFilesNeverFailOtherwise()
    {
        using var temp = new TempFolder();
        byte[] original = BuildModel(temp.NewFile());
        List<GgufFieldMap.Field> fields = GgufFieldMap.Of(original, out int headerEnd);
        var random = new Random(Seed);
        var failures = new List<string>();
        int opened = 0, rejected = 0, variants = 0;
        string path = temp.NewFile();
        var clock = Stopwatch.StartNew();

        void Run(byte[] bytes, string description)
        {
            variants++;
            Overwrite(path, bytes);
            try
            {
                using GgufFile file = GgufFile.Open(path);
                ReadEverything(file);
                opened++;
            }
            catch (GgufFormatException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                failures.Add($"{description}: {e.GetType().Name}: {e.Message}");
            }
        }

        // Every cut inside the header and directory, then a spread of cuts through the data.
        for (int length = 0; length <= headerEnd + 40; length++)
        {
            Run(original[..length], $"truncated to {length}");
        }

        for (int i = 0; i < 100; i++)
        {
            int length = random.Next(headerEnd, original.Length);
            Run(original[..length], $"truncated to {length}");
        }

        for (int i = 0; i < RandomMutations; i++)
        {
            byte[] bytes = (byte[])original.Clone();
            int edits = random.Next(10) == 0 ? random.Next(2, 5) : 1;
            var description = new List<string>();
            for (int e = 0; e < edits; e++)
            {
                description.Add(Mutate(bytes, fields, headerEnd, random));
            }

            Run(bytes, $"variant {i} ({string.Join("; ", description)})");
        }

        TestContext.Out.WriteLine($"{variants} variants: {opened} opened, {rejected} rejected, {clock.ElapsedMilliseconds} ms");
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
        Assert.That(variants, Is.GreaterThanOrEqualTo(2000));
        // Both outcomes must be common, or the mutations are not exercising the reader.
        Assert.That(opened, Is.GreaterThan(variants / 20), "too few variants opened");
        Assert.That(rejected, Is.GreaterThan(variants / 5), "too few variants rejected");
    }

    /// <summary>
    /// Rewrites in place without truncating to zero first: ext4 flushes files truncated to zero on close
    /// (auto_da_alloc), which made each variant cost milliseconds.
    /// </summary>
    private static void Overwrite(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }

    /// <summary>One edit; mostly aimed at structural fields, some anywhere.</summary>
    private static string Mutate(byte[] bytes, List<GgufFieldMap.Field> fields, int headerEnd, Random random)
    {
        int kind = random.Next(10);
        if (kind < 5)
        {
            GgufFieldMap.Field field = fields[random.Next(fields.Count)];
            Span<byte> target = bytes.AsSpan(field.Offset, field.Size);
            ulong old = field.Size == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(target) : BinaryPrimitives.ReadUInt32LittleEndian(target);
            ulong value = random.Next(9) switch
            {
                0 => 0,
                1 => 1,
                2 => ulong.MaxValue,
                3 => old + 1,
                4 => old - 1,
                5 => old + (ulong)random.Next(2, 64),
                6 => 1UL << random.Next(8 * field.Size),
                7 => old | (1UL << (8 * field.Size - 1)),
                _ => (ulong)random.NextInt64(),
            };
            if (field.Size == 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(target, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(target, (uint)value);
            }

            return $"{field.Name}@{field.Offset} {old}->{value}";
        }

        if (kind < 7)
        {
            GgufFieldMap.Field field = fields[random.Next(fields.Count)];
            int bit = random.Next(field.Size * 8);
            bytes[field.Offset + bit / 8] ^= (byte)(1 << (bit % 8));
            return $"{field.Name}@{field.Offset} bit {bit}";
        }

        // Anywhere in the header (strings, scalar values, padding), occasionally anywhere at all.
        int at = random.Next(kind == 9 ? bytes.Length : headerEnd);
        if (random.Next(2) == 0)
        {
            int bit = random.Next(8);
            bytes[at] ^= (byte)(1 << bit);
            return $"byte {at} bit {bit}";
        }

        byte b = (byte)random.Next(256);
        bytes[at] = b;
        return $"byte {at} = {b}";
    }

    private static unsafe void ReadEverything(GgufFile file)
    {
        foreach ((string key, GgufValue value) in file.Metadata)
        {
            Touch(value);
        }

        long total = 0;
        foreach (GgufTensorInfo tensor in file.Tensors)
        {
            // Assert the invariant independently of the reader's own checks before touching the bytes.
            if (file.DataOffset + tensor.Offset + tensor.ByteSize > file.FileLength)
            {
                throw new InvalidDataException($"tensor '{tensor.Name}' accepted although it ends past the file");
            }

            foreach (byte b in file.GetTensorBytes(tensor))
            {
                total += b;
            }

            byte* start = file.GetTensorPointer(tensor);
            total += start[0] + start[tensor.ByteSize - 1];
        }

        GC.KeepAlive(total);
    }

    private static void Touch(GgufValue value)
    {
        _ = value.ToString();
        if (value.Type != GgufValueType.Array)
        {
            return;
        }

        _ = value.ElementType;
        foreach (object element in (Array)value.Value)
        {
            if (element is GgufValue nested)
            {
                Touch(nested);
            }
            else
            {
                _ = element.ToString();
            }
        }
    }

    /// <summary>Several metadata types including string arrays, and five tensors of the four engine types.</summary>
    private static byte[] BuildModel(string path)
    {
        var writer = new GgufWriter();
        writer.AddString("general.architecture", "llama");
        writer.AddUInt32("llama.block_count", 1);
        writer.AddFloat32("llama.rope.freq_base", 10000f);
        writer.AddUInt64("llama.context_length", 256);
        writer.AddBool("edgellm.shared_layers", true);
        writer.AddStringArray("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "▁", "a", "é", "世", "🦙"]);
        writer.AddFloat32Array("tokenizer.ggml.scores", [0f, 0f, 0f, -1f, -2f, -3f, -4f, -5f]);
        writer.AddInt32Array("tokenizer.ggml.token_type", [2, 3, 3, 1, 1, 1, 1, 1]);
        writer.AddTensor("token_embd.weight", GgmlType.Q8_0, [64, 3], GgufRoundTripTests.RandomBytes(2 * 34 * 3, 1));
        writer.AddTensor("output_norm.weight", GgmlType.F32, [64], GgufRoundTripTests.RandomBytes(256, 2));
        writer.AddTensor("blk.0.attn_q.weight", GgmlType.Q4_0, [64, 2], GgufRoundTripTests.RandomBytes(2 * 18 * 2, 3));
        writer.AddTensor("blk.0.ffn_up.weight", GgmlType.F16, [32, 3], GgufRoundTripTests.RandomBytes(192, 4));
        writer.AddTensor("output.weight", GgmlType.Q8_0, [32, 2], GgufRoundTripTests.RandomBytes(68, 5));
        writer.WriteTo(path);
        return File.ReadAllBytes(path);
    }
}
