using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>The writer's exact layout, its argument checks and its never-half-written guarantee.</summary>
public sealed class GgufWriterTests
{
    private TempFolder _temp = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _temp = new TempFolder();

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void LayoutIsByteForByteTheGgufV3Layout()
    {
        byte[] w1 = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] w2 = GgufRoundTripTests.RandomBytes(34, seed: 4);
        var writer = new GgufWriter();
        writer.AddString("general.architecture", "llama");
        writer.AddUInt32("llama.block_count", 2);
        writer.AddStringArray("tokenizer.ggml.tokens", ["a", "bc"]);
        writer.AddTensor("w1", GgmlType.F16, [4], w1);
        writer.AddTensor("w2", GgmlType.Q8_0, [32], w2);

        // Assembled independently, field by field, as gguf.cpp reads it.
        byte[] expected = RawGguf.Header(tensorCount: 2, metadataCount: 3)
            .KvStr("general.architecture", "llama")
            .KvU32("llama.block_count", 2)
            .Str("tokenizer.ggml.tokens").U32(9).U32(8).U64(2).Str("a").Str("bc")
            .Tensor("w1", 1, 0, 4)
            .Tensor("w2", 8, 32, 32)          // w1's 8 bytes padded to 32
            .PadTo(32)
            .Bytes(w1).PadTo(32)
            .Bytes(w2).PadTo(32)
            .ToArray();

        string path = _temp.NewFile();
        writer.WriteTo(path);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(expected));
    }

    [Test]
    public void StreamedTensorWritingTooFewBytesFailsAndLeavesNothing()
    {
        var writer = new GgufWriter();
        writer.AddTensor("w", GgmlType.F32, [8], stream => stream.Write(new byte[31]));
        string path = _temp.NewFile();

        var error = Assert.Throws<InvalidOperationException>(() => writer.WriteTo(path))!;
        Assert.That(error.Message, Does.Contain("'w' wrote 31 bytes, expected 32"));
        AssertNoFilesFor(path);
    }

    [Test]
    public void StreamedTensorWritingTooManyBytesFailsAndLeavesNothing()
    {
        var writer = new GgufWriter();
        writer.AddTensor("w", GgmlType.F32, [8], stream =>
        {
            stream.Write(new byte[30]);
            stream.Write(new byte[3]);
        });
        string path = _temp.NewFile();

        var error = Assert.Throws<InvalidOperationException>(() => writer.WriteTo(path))!;
        Assert.That(error.Message, Does.Contain("'w' wrote more than its 32 bytes"));
        AssertNoFilesFor(path);
    }

    [Test]
    public void FailedWriteKeepsThePreviousFile()
    {
        string path = _temp.NewFile();
        var good = new GgufWriter();
        good.AddString("general.name", "old");
        good.WriteTo(path);
        byte[] oldBytes = File.ReadAllBytes(path);

        var bad = new GgufWriter();
        bad.AddTensor("w", GgmlType.F32, [8], _ => throw new IOException("source vanished"));
        Assert.Throws<IOException>(() => bad.WriteTo(path));

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(oldBytes));
        Assert.That(Directory.GetFiles(_temp.Path, "*.tmp"), Is.Empty);
    }

    [Test]
    public void ReplacingAnOpenFileLeavesTheOpenMapIntact()
    {
        string path = _temp.NewFile();
        byte[] oldData = GgufRoundTripTests.RandomBytes(64, seed: 11);
        var first = new GgufWriter();
        first.AddTensor("w", GgmlType.F32, [16], oldData);
        first.WriteTo(path);

        using GgufFile open = GgufFile.Open(path);
        var second = new GgufWriter();
        second.AddTensor("w", GgmlType.F32, [16], new byte[64]);
        second.WriteTo(path);

        // The rename replaced the directory entry; the mapped old file still holds the old bytes.
        Assert.That(open.GetTensorBytes(open.GetTensor("w")).ToArray(), Is.EqualTo(oldData));
        using GgufFile reopened = GgufFile.Open(path);
        Assert.That(reopened.GetTensorBytes(reopened.GetTensor("w")).ToArray(), Is.EqualTo(new byte[64]));
    }

    [TestCase(0)]
    [TestCase(-32)]
    [TestCase(48)]
    public void AlignmentMustBeAPowerOfTwo(int alignment) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new GgufWriter(alignment));

    [Test]
    public void AlignmentKeyIsOwnedByTheWriter()
    {
        var writer = new GgufWriter(64);
        Assert.Throws<ArgumentException>(() => writer.AddUInt32("general.alignment", 32));
        Assert.Throws<ArgumentException>(() => writer.AddInt32("general.alignment", 64));
        writer.AddUInt32("general.alignment", 64);   // agreeing with the layout is harmless
    }

    [Test]
    public void RejectsBadArguments()
    {
        var writer = new GgufWriter();
        writer.AddString("k", "v");
        writer.AddTensor("t", GgmlType.F32, [1], new byte[4]);
        Assert.Multiple(() =>
        {
            Assert.That(() => writer.AddBool("k", true), Throws.ArgumentException.With.Message.Contains("duplicate metadata key 'k'"));
            Assert.That(() => writer.AddTensor("t", GgmlType.F32, [1], new byte[4]), Throws.ArgumentException.With.Message.Contains("duplicate tensor name 't'"));
            Assert.That(() => writer.AddTensor("u", GgmlType.F32, [2], new byte[4]), Throws.ArgumentException.With.Message.Contains("needs 8 bytes"));
            Assert.That(() => writer.AddTensor("u", GgmlType.Q4_0, [16], new byte[9]), Throws.ArgumentException.With.Message.Contains("whole number"));
            Assert.That(() => writer.AddTensor("u", GgmlType.F32, [], new byte[4]), Throws.ArgumentException.With.Message.Contains("0 dimensions"));
            Assert.That(() => writer.AddTensor("u", GgmlType.F32, [1, 1, 1, 1, 1], new byte[4]), Throws.ArgumentException.With.Message.Contains("5 dimensions"));
            Assert.That(() => writer.AddTensor("u", GgmlType.F32, [0], new byte[0]), Throws.ArgumentException.With.Message.Contains("dimension 0 is 0"));
            Assert.That(() => writer.AddTensor("u", (GgmlType)4, [1], new byte[4]), Throws.ArgumentException.With.Message.Contains("unknown ggml type 4"));
            Assert.That(() => writer.AddTensor(new string('x', 64), GgmlType.F32, [1], new byte[4]), Throws.ArgumentException.With.Message.Contains("longer than"));
            Assert.That(() => writer.AddString("bad", "\ud800"), Throws.ArgumentException.With.Message.Contains("UTF-8"));
            Assert.That(() => writer.AddArray("objects", new object[] { 1 }), Throws.ArgumentException.With.Message.Contains("not a GGUF scalar type"));
        });
    }

    private void AssertNoFilesFor(string path)
    {
        Assert.That(File.Exists(path), Is.False, "target must not appear");
        Assert.That(Directory.GetFiles(_temp.Path, "*.tmp"), Is.Empty, "temp file must be removed");
    }
}
