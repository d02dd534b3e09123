using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Import;

public class Llama2cCheckpointTests
{
    [Test]
    public void ReadsTheStories260KHeader()
    {
        var c = Llama2cCheckpoint.Read(TestModels.CheckpointPath);
        Assert.Multiple(() =>
        {
            Assert.That((c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.VocabSize, c.SeqLen), Is.EqualTo((64, 172, 5, 8, 4, 512, 512)));
            Assert.That(c.SharedClassifier, Is.True);
        });
    }

    [Test]
    public void ConvertedModelHasLlamaCppKeysAndTypes()
    {
        using var f = GgufFile.Open(TestModels.Stories260K(GgmlType.Q8_0));
        Assert.Multiple(() =>
        {
            Assert.That(f.GetString("general.architecture"), Is.EqualTo("llama"));
            Assert.That(f.GetInt64("llama.block_count"), Is.EqualTo(5));
            Assert.That(f.GetInt64("llama.attention.head_count_kv"), Is.EqualTo(4));
            Assert.That(f.GetTensor("blk.0.attn_q.weight").Type, Is.EqualTo(GgmlType.Q8_0));
            Assert.That(f.GetTensor("blk.0.ffn_down.weight").Type, Is.EqualTo(GgmlType.F32), "172-wide rows are not whole Q8_0 blocks");
            Assert.That(f.GetTensor("blk.0.attn_norm.weight").Type, Is.EqualTo(GgmlType.F32));
            Assert.That(f.TryGetTensor("output.weight", out _), Is.False, "shared classifier: tied output");
            Assert.That(f.Tensors, Has.Count.EqualTo(2 + (5 * 9)));
        });
    }

    [Test]
    public void F32ConversionKeepsTheCheckpointsFloatsExactly()
    {
        using var f = GgufFile.Open(TestModels.Stories260K(GgmlType.F32));
        byte[] raw = File.ReadAllBytes(TestModels.CheckpointPath);
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw.AsSpan(28));
        var embd = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.GetTensorBytes(f.GetTensor("token_embd.weight")));
        Assert.That(embd.ToArray(), Is.EqualTo(floats[..(512 * 64)].ToArray()));
    }

    [Test]
    public void TruncatedCheckpointIsRejectedWithTheReason()
    {
        string path = TestModels.TempFile("truncated.bin");
        byte[] raw = File.ReadAllBytes(TestModels.CheckpointPath);
        File.WriteAllBytes(path, raw[..(raw.Length - 100)]);
        Assert.That(() => Llama2cCheckpoint.Read(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contains(path).And.Message.Contains("needs"));
    }

    [Test]
    public void NonsenseHeaderIsRejected()
    {
        string path = TestModels.TempFile("bad.bin");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(64), .. BitConverter.GetBytes(0), .. new byte[40]]);
        Assert.That(() => Llama2cCheckpoint.Read(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("not a valid llama2.c checkpoint"));
    }

    [Test]
    public void TokenizerOfTheWrongSizeIsRejected()
    {
        var ckpt = Llama2cCheckpoint.Read(TestModels.CheckpointPath);
        var big = LlamaTokenizer.FromLlama2cFile(SharedData.PathOf("tokenizers", "llama2", "tokenizer.bin"));
        Assert.That(() => ckpt.WriteGguf(TestModels.TempFile("x.gguf"), big, GgmlType.F32, "x"), Throws.InstanceOf<InvalidDataException>());
    }
}
