using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>Files from GgufWriter opened by llama.cpp's own gguf reader, which also checks tensor offsets are consecutive.</summary>
public sealed class GgufLlamaCppCompatibilityTests
{
    [TestCase(32)]
    [TestCase(64)]
    public void LlamaCppReadsWhatWeWrite(int alignment)
    {
        using var temp = new TempFolder();
        string path = temp.NewFile();
        var writer = new GgufWriter(alignment);
        writer.AddString("general.architecture", "llama");
        writer.AddUInt32("llama.block_count", 3);
        writer.AddStringArray("tokenizer.ggml.tokens", ["<unk>", "<s>", "▁a"]);
        writer.AddTensor("token_embd.weight", GgmlType.Q8_0, [64, 3], new byte[2 * 34 * 3]);
        writer.AddTensor("output_norm.weight", GgmlType.F32, [64], new byte[256]);
        writer.AddTensor("blk.0.attn_q.weight", GgmlType.Q4_0, [64, 2], new byte[72]);
        writer.AddTensor("blk.0.ffn_up.weight", GgmlType.F16, [5, 3], new byte[30]);
        writer.WriteTo(path);

        using GgufFile ours = GgufFile.Open(path);
        using LlamaCppGguf? theirs = LlamaCppGguf.Open(path);
        Assert.That(theirs, Is.Not.Null, "llama.cpp refused the file (see its log on stderr)");
        Assert.Multiple(() =>
        {
            Assert.That(theirs!.TensorCount, Is.EqualTo(4));
            Assert.That(theirs.MetadataCount, Is.EqualTo(alignment == 32 ? 3 : 4));
            Assert.That(theirs.Alignment, Is.EqualTo(alignment));
            Assert.That(theirs.DataOffset, Is.EqualTo(ours.DataOffset));
            Assert.That(theirs.GetString(theirs.FindKey("general.architecture")), Is.EqualTo("llama"));
            Assert.That(theirs.GetUInt32(theirs.FindKey("llama.block_count")), Is.EqualTo(3));
            Assert.That(theirs.ArrayLength(theirs.FindKey("tokenizer.ggml.tokens")), Is.EqualTo(3));
            foreach (GgufTensorInfo tensor in ours.Tensors)
            {
                long id = theirs.FindTensor(tensor.Name);
                Assert.That(id, Is.GreaterThanOrEqualTo(0), tensor.Name);
                Assert.That(theirs.TensorOffset(id), Is.EqualTo(tensor.Offset), tensor.Name);
                Assert.That(theirs.TensorType(id), Is.EqualTo((int)tensor.Type), tensor.Name);
            }
        });
    }

    [Test]
    public void LlamaCppRefusesAGapBetweenTensors()
    {
        // Shows the check above has teeth: an aligned but non-consecutive offset, which our reader accepts, fails there.
        using var temp = new TempFolder();
        byte[] bytes = RawGguf.Header(2, 0).Tensor("a", 0, 0, 8).Tensor("b", 0, 64, 8).PadTo(32).Zeros(96).ToArray();
        string path = temp.Write(bytes);
        using (GgufFile.Open(path))
        {
        }

        using LlamaCppGguf? theirs = LlamaCppGguf.Open(path);
        Assert.That(theirs, Is.Null);
    }

    /// <summary>
    /// An interleaved tensor type (docs/interleaved.md) is not a ggml type, so llama.cpp refuses the file rather than
    /// misread its bytes; the same file with the ggml type loads.
    /// </summary>
    [TestCase(GgmlType.Q8_0_R8, GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0_R8, GgmlType.Q4_0)]
    public void LlamaCppRefusesAnInterleavedTensor(GgmlType interleaved, GgmlType plain)
    {
        using var temp = new TempFolder();
        foreach (GgmlType type in new[] { plain, interleaved })
        {
            string path = temp.NewFile();
            var writer = new GgufWriter();
            writer.AddString("general.architecture", "llama");
            writer.AddTensor("blk.0.attn_q.weight", type, [64, 8], new byte[8 * GgmlTypeInfo.RowBytes(type, 64)]);
            writer.WriteTo(path);
            using LlamaCppGguf? theirs = LlamaCppGguf.Open(path);
            Assert.That(theirs is null, Is.EqualTo(type == interleaved), type.ToString());
        }
    }
}
