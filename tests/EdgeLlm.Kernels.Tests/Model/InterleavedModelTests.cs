using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Tests.Quant;

namespace EdgeLlm.Kernels.Tests.Model;

/// <summary>
/// A model written in the row-interleaved layout (docs/interleaved.md) against the ggml file of the same weights, on
/// every kernel path this CPU runs (under qemu: the arm64 kernels and tiles of the interleaved types): every kernel of
/// both layouts gives the scalar reference's bits, so prefill and decode logits must be identical, not merely close.
/// </summary>
public class InterleavedModelTests
{
    private static readonly Lazy<string> Q8R8Model = new(() => RandomLlama.Write(TransformerBatchTests.Shape, GgmlType.Q8_0_R8, seed: 23));
    private static readonly Lazy<string> Q4R8Model = new(() => RandomLlama.Write(TransformerBatchTests.Shape, GgmlType.Q4_0_R8, seed: 23));

    /// <summary>The interleaved twin of <see cref="TransformerBatchTests.ModelPath"/>'s model (the same weights).</summary>
    internal static string ModelPath(GgmlType type) => type == GgmlType.Q8_0_R8 ? Q8R8Model.Value : Q4R8Model.Value;

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (KernelPath path in MatVecTests.Paths())
        {
            foreach (GgmlType type in new[] { GgmlType.Q8_0_R8, GgmlType.Q4_0_R8 })
            {
                yield return new TestCaseData(path, type).SetArgDisplayNames(path.ToString(), type.ToString());
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void InterleavedFileGivesThePlainFilesLogitsBitForBit(KernelPath path, GgmlType type)
    {
        GgmlType plainType = type == GgmlType.Q8_0_R8 ? GgmlType.Q8_0 : GgmlType.Q4_0;
        string interleaved = type == GgmlType.Q8_0_R8 ? Q8R8Model.Value : Q4R8Model.Value;
        using (GgufFile file = GgufFile.Open(interleaved))
        {
            // every matrix of the model is interleaved (576, 192, 1536 and 512 rows are all multiples of eight)
            Assert.That(file.GetTensor("blk.0.attn_q.weight").Type, Is.EqualTo(type));
            Assert.That(file.GetTensor("blk.1.ffn_down.weight").Type, Is.EqualTo(type));
            Assert.That(file.GetTensor("token_embd.weight").Type, Is.EqualTo(GgmlType.Q8_0_R8), "the tied classifier stays 8-bit");
        }

        var options = new ModelLoadOptions { Threads = 2, KernelPath = path, KvCacheType = KvCacheType.Q8_0 };
        using var plain = LanguageModel.Load(TransformerBatchTests.ModelPath(plainType), options);
        using var r8 = LanguageModel.Load(interleaved, options);
        Assert.That(r8.Description.KernelPath, Is.EqualTo(path));

        // 21 tokens: the prefill tiles' two-token steps, an odd last token, and matrices cut into 16-row chunks
        int[] prompt = TransformerBatchTests.Tokens(21, seed: 11);
        float[] expected = plain.Prefill(prompt).ToArray();
        Assert.That(expected.Max(Math.Abs), Is.GreaterThan(0f), "all-zero logits cannot tell layouts apart");
        Assert.That(r8.Prefill(prompt).ToArray(), Is.EqualTo(expected), "prefill");
        foreach (int token in new[] { 9, 300, 42 })
        {
            Assert.That(r8.Decode(token).ToArray(), Is.EqualTo(plain.Decode(token).ToArray()), $"decode {token}");
        }
    }
}
