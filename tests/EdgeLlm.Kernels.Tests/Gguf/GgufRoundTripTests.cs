using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>Writer output read back by the reader: every metadata type, tensors of the four engine types.</summary>
public sealed class GgufRoundTripTests
{
    private TempFolder _temp = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _temp = new TempFolder();

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void EveryScalarTypeRoundTrips()
    {
        var writer = new GgufWriter();
        writer.AddUInt8("u8", byte.MaxValue);
        writer.AddInt8("i8", sbyte.MinValue);
        writer.AddUInt16("u16", ushort.MaxValue);
        writer.AddInt16("i16", short.MinValue);
        writer.AddUInt32("u32", uint.MaxValue);
        writer.AddInt32("i32", int.MinValue);
        writer.AddFloat32("f32", -1.5e-7f);
        writer.AddBool("yes", true);
        writer.AddBool("no", false);
        writer.AddString("s", "héllo ▁ 世界 🦙");
        writer.AddString("empty", "");
        writer.AddUInt64("u64", ulong.MaxValue);
        writer.AddInt64("i64", long.MinValue);
        writer.AddFloat64("f64", Math.PI);

        using GgufFile file = WriteAndOpen(writer);
        Assert.Multiple(() =>
        {
            Assert.That(file.Version, Is.EqualTo(3));
            Assert.That(file.Metadata, Has.Count.EqualTo(14));
            AssertValue(file, "u8", GgufValueType.UInt8, byte.MaxValue);
            AssertValue(file, "i8", GgufValueType.Int8, sbyte.MinValue);
            AssertValue(file, "u16", GgufValueType.UInt16, ushort.MaxValue);
            AssertValue(file, "i16", GgufValueType.Int16, short.MinValue);
            AssertValue(file, "u32", GgufValueType.UInt32, uint.MaxValue);
            AssertValue(file, "i32", GgufValueType.Int32, int.MinValue);
            AssertValue(file, "f32", GgufValueType.Float32, -1.5e-7f);
            AssertValue(file, "yes", GgufValueType.Bool, true);
            AssertValue(file, "no", GgufValueType.Bool, false);
            AssertValue(file, "s", GgufValueType.String, "héllo ▁ 世界 🦙");
            AssertValue(file, "empty", GgufValueType.String, "");
            AssertValue(file, "u64", GgufValueType.UInt64, ulong.MaxValue);
            AssertValue(file, "i64", GgufValueType.Int64, long.MinValue);
            AssertValue(file, "f64", GgufValueType.Float64, Math.PI);
            Assert.That(file.GetInt64("u32"), Is.EqualTo(4294967295L));
            Assert.That(file.GetSingle("i32"), Is.EqualTo(-2147483648f));
            Assert.That(file.TryGetBool("yes"), Is.True);
            Assert.That(file.GetString("s"), Is.EqualTo("héllo ▁ 世界 🦙"));
        });
    }

    [Test]
    public void EveryArrayElementTypeRoundTrips()
    {
        var writer = new GgufWriter();
        writer.AddArray("u8", new byte[] { 0, 7, 255 });
        writer.AddArray("i8", new sbyte[] { -128, 0, 127 });
        writer.AddArray("u16", new ushort[] { 1, 65535 });
        writer.AddArray("i16", new short[] { -32768, 32767 });
        writer.AddArray("u32", new uint[] { 0, uint.MaxValue });
        writer.AddInt32Array("i32", [int.MinValue, -1, 0, int.MaxValue]);
        writer.AddFloat32Array("f32", [0f, -0.25f, float.MaxValue]);
        writer.AddArray("bool", new[] { true, false, true });
        writer.AddStringArray("str", ["<s>", "", "▁the", "🦙"]);
        writer.AddArray("u64", new ulong[] { ulong.MaxValue });
        writer.AddArray("i64", new long[] { long.MinValue, 5 });
        writer.AddArray("f64", new double[] { double.Epsilon, -2.5 });
        writer.AddStringArray("none", []);

        using GgufFile file = WriteAndOpen(writer);
        Assert.Multiple(() =>
        {
            AssertArray(file, "u8", GgufValueType.UInt8, new byte[] { 0, 7, 255 });
            AssertArray(file, "i8", GgufValueType.Int8, new sbyte[] { -128, 0, 127 });
            AssertArray(file, "u16", GgufValueType.UInt16, new ushort[] { 1, 65535 });
            AssertArray(file, "i16", GgufValueType.Int16, new short[] { -32768, 32767 });
            AssertArray(file, "u32", GgufValueType.UInt32, new uint[] { 0, uint.MaxValue });
            AssertArray(file, "i32", GgufValueType.Int32, new[] { int.MinValue, -1, 0, int.MaxValue });
            AssertArray(file, "f32", GgufValueType.Float32, new[] { 0f, -0.25f, float.MaxValue });
            AssertArray(file, "bool", GgufValueType.Bool, new[] { true, false, true });
            AssertArray(file, "str", GgufValueType.String, new[] { "<s>", "", "▁the", "🦙" });
            AssertArray(file, "u64", GgufValueType.UInt64, new[] { ulong.MaxValue });
            AssertArray(file, "i64", GgufValueType.Int64, new[] { long.MinValue, 5 });
            AssertArray(file, "f64", GgufValueType.Float64, new[] { double.Epsilon, -2.5 });
            AssertArray(file, "none", GgufValueType.String, Array.Empty<string>());
            Assert.That(file.Metadata["u8"].AsInt32Array(), Is.EqualTo(new[] { 0, 7, 255 }));
            Assert.That(file.Metadata["str"].AsStringArray(), Is.EqualTo(new[] { "<s>", "", "▁the", "🦙" }));
            Assert.That(file.Metadata["f32"].AsFloatArray(), Is.EqualTo(new[] { 0f, -0.25f, float.MaxValue }));
        });
    }

    [Test]
    public void NestedArrayCopiedFromAFileRoundTrips()
    {
        // Arrays of arrays can only come from another file; AddValue must write them back readably.
        byte[] source = RawGguf.Header(0, 1).Str("n").U32(9).U32(9).U64(2)
            .U32(8).U64(1).Str("a")
            .U32(8).U64(2).Str("b").Str("c").ToArray();
        var writer = new GgufWriter();
        using (GgufFile original = GgufFile.Open(_temp.Write(source)))
        {
            writer.AddValue("n", original.Metadata["n"]);
        }

        using GgufFile copy = WriteAndOpen(writer);
        var outer = (GgufValue[])copy.Metadata["n"].Value;
        Assert.That(outer.Select(v => v.AsStringArray()), Is.EqualTo(new[] { new[] { "a" }, new[] { "b", "c" } }));
    }

    // Expected byte sizes are worked out by hand from ggml's block layouts, not from GgmlTypeInfo.
    [TestCase(GgmlType.F32, new long[] { 64, 3 }, 64 * 3 * 4)]
    [TestCase(GgmlType.F16, new long[] { 576, 2 }, 576 * 2 * 2)]
    [TestCase(GgmlType.Q8_0, new long[] { 576, 2 }, 576 / 32 * 34 * 2)]
    [TestCase(GgmlType.Q8_0, new long[] { 32 }, 34)]
    [TestCase(GgmlType.Q4_0, new long[] { 64, 3 }, 64 / 32 * 18 * 3)]
    [TestCase(GgmlType.Q4_0, new long[] { 32 }, 18)]
    [TestCase(GgmlType.F32, new long[] { 3, 1, 2, 5 }, 3 * 2 * 5 * 4)]
    public void TensorRoundTrips(GgmlType type, long[] shape, int expectedBytes)
    {
        byte[] data = RandomBytes(expectedBytes, seed: expectedBytes);
        byte[] before = RandomBytes(100, seed: 2);
        byte[] after = RandomBytes(100, seed: 1);
        var writer = new GgufWriter();
        writer.AddTensor("before", GgmlType.F32, [25], before);   // 100 bytes: forces padding
        writer.AddTensor("t", type, shape, data);
        writer.AddTensor("after", GgmlType.F32, [25], after);

        using GgufFile file = WriteAndOpen(writer);
        GgufTensorInfo t = file.GetTensor("t");
        Assert.Multiple(() =>
        {
            Assert.That(file.Tensors.Select(x => x.Name), Is.EqualTo(new[] { "before", "t", "after" }));
            Assert.That(t.Type, Is.EqualTo(type));
            Assert.That(t.Shape, Is.EqualTo(shape));
            Assert.That(t.ByteSize, Is.EqualTo(expectedBytes));
            Assert.That(t.ElementCount, Is.EqualTo(shape.Aggregate(1L, (a, b) => a * b)));
            Assert.That(t.Offset, Is.EqualTo(128), "100 bytes padded to 32");
            Assert.That(file.DataOffset % 32, Is.Zero);
            Assert.That(file.GetTensorBytes(t).ToArray(), Is.EqualTo(data));
            Assert.That(file.GetTensorBytes(file.GetTensor("before")).ToArray(), Is.EqualTo(before));
            Assert.That(file.GetTensorBytes(file.GetTensor("after")).ToArray(), Is.EqualTo(after));
        });
    }

    [Test]
    public unsafe void TensorPointerAndSpanAreTheSameBytes()
    {
        var writer = new GgufWriter();
        writer.AddTensor("w", GgmlType.Q4_0, [64, 2], RandomBytes(72, seed: 3));
        using GgufFile file = WriteAndOpen(writer);
        GgufTensorInfo w = file.GetTensor("w");
        byte* pointer = file.GetTensorPointer(w);
        Assert.That(new ReadOnlySpan<byte>(pointer, 72).ToArray(), Is.EqualTo(file.GetTensorBytes(w).ToArray()));
    }

    [TestCase(64)]
    [TestCase(1)]
    [TestCase(4096)]
    public void NonDefaultAlignmentIsRecordedAndHonoured(int alignment)
    {
        var writer = new GgufWriter(alignment);
        writer.AddString("general.architecture", "llama");
        writer.AddTensor("a", GgmlType.F32, [3], RandomBytes(12, seed: 5));
        writer.AddTensor("b", GgmlType.F16, [5], RandomBytes(10, seed: 6));

        using GgufFile file = WriteAndOpen(writer);
        Assert.Multiple(() =>
        {
            Assert.That(file.Alignment, Is.EqualTo(alignment));
            Assert.That(file.Metadata["general.alignment"].Type, Is.EqualTo(GgufValueType.UInt32), "llama.cpp reads it as u32");
            Assert.That(file.GetInt64("general.alignment"), Is.EqualTo(alignment));
            Assert.That(file.DataOffset % alignment, Is.Zero);
            Assert.That(file.GetTensor("b").Offset, Is.EqualTo((12 + alignment - 1) / alignment * alignment));
        });
    }

    [Test]
    public void DefaultAlignmentIsNotRecorded()
    {
        var writer = new GgufWriter();
        writer.AddTensor("a", GgmlType.F32, [3], new byte[12]);
        using GgufFile file = WriteAndOpen(writer);
        Assert.That(file.Alignment, Is.EqualTo(32));
        Assert.That(file.Metadata, Does.Not.ContainKey("general.alignment"));
    }

    [Test]
    public void StreamedTensorRoundTrips()
    {
        byte[] data = RandomBytes(576 / 32 * 34 * 4, seed: 9);
        var writer = new GgufWriter();
        writer.AddTensor("q", GgmlType.Q8_0, [576, 4], stream =>
        {
            // Produce it in uneven chunks, as a converter would.
            for (int at = 0; at < data.Length; at += 1000)
            {
                stream.Write(data, at, Math.Min(1000, data.Length - at));
            }
        });

        using GgufFile file = WriteAndOpen(writer);
        Assert.That(file.GetTensorBytes(file.GetTensor("q")).ToArray(), Is.EqualTo(data));
    }

    internal static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private GgufFile WriteAndOpen(GgufWriter writer)
    {
        string path = _temp.NewFile();
        writer.WriteTo(path);
        return GgufFile.Open(path);
    }

    private static void AssertValue(GgufFile file, string key, GgufValueType type, object expected)
    {
        GgufValue value = file.Metadata[key];
        Assert.That(value.Type, Is.EqualTo(type), key);
        Assert.That(value.Value, Is.EqualTo(expected).And.TypeOf(expected.GetType()), key);
    }

    private static void AssertArray(GgufFile file, string key, GgufValueType elementType, Array expected)
    {
        GgufValue value = file.Metadata[key];
        Assert.That(value.Type, Is.EqualTo(GgufValueType.Array), key);
        Assert.That(value.ElementType, Is.EqualTo(elementType), key);
        Assert.That(value.Count, Is.EqualTo(expected.Length), key);
        Assert.That(value.Value, Is.EqualTo(expected).And.TypeOf(expected.GetType()), key);
    }
}
