using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Tests.Quant;

namespace EdgeLlm.Kernels.Tests.Model;

/// <summary>
/// The interleaved prefill tiles inside the whole forward pass: a model written as Q8_0_R8 / Q4_0_R8 holds the same
/// weights as its Q8_0 / Q4_0 twin, and every kernel on it gives the plain kernels' bits (docs/interleaved.md), so on
/// each x86 path its prefill logits (a prompt of two batches: fused Q/K/V and gate/up dispatches, chunks on two
/// threads, the activations widened once for the Avx512 tile) and the decode step after it must be identical to the
/// plain model's on the same path.
/// </summary>
public class X86R8PrefillTests
{
    private static readonly Lazy<string> Q8R8Model = new(() => RandomLlama.Write(TransformerBatchTests.Shape, GgmlType.Q8_0_R8, seed: 23));
    private static readonly Lazy<string> Q4R8Model = new(() => RandomLlama.Write(TransformerBatchTests.Shape, GgmlType.Q4_0_R8, seed: 23));

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (KernelPath path in X86R8GemmTests.X86Paths())
        {
            foreach (GgmlType type in new[] { GgmlType.Q8_0_R8, GgmlType.Q4_0_R8 })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    yield return new TestCaseData(path, type, threads).SetArgDisplayNames(path.ToString(), type.ToString(), $"{threads}t");
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public unsafe void InterleavedPrefillEqualsThePlainModelBitForBit(KernelPath path, GgmlType type, int threads)
    {
        KernelTable k = KernelTable.For(path);
        Assert.That(type == GgmlType.Q8_0_R8 ? k.GemmQ8_0R8 != null : k.GemmQ4_0R8 != null, $"the {path} table has a {type} prefill tile");
        GgmlType plainType = type == GgmlType.Q8_0_R8 ? GgmlType.Q8_0 : GgmlType.Q4_0;
        var options = new ModelLoadOptions { Threads = threads, KernelPath = path };
        using var plain = LanguageModel.Load(TransformerBatchTests.ModelPath(plainType), options);
        using var interleaved = LanguageModel.Load(type == GgmlType.Q8_0_R8 ? Q8R8Model.Value : Q4R8Model.Value, options);
        Assert.That(interleaved.Description.KernelPath, Is.EqualTo(path));
        TensorTypeCount? r8 = interleaved.Description.TensorTypes.FirstOrDefault(t => t.Type == type);
        Assert.That(r8?.Count, Is.GreaterThanOrEqualTo(TransformerBatchTests.Shape.Layers * 7), "every layer's seven matrices are interleaved");

        int[] prompt = TransformerBatchTests.Tokens(Transformer.MaxBatch + 13, seed: 5); // a full batch and a short one
        Assert.That(interleaved.Prefill(prompt).ToArray(), Is.EqualTo(plain.Prefill(prompt).ToArray()), "logits of the last prompt token");
        Assert.That(interleaved.Decode(7).ToArray(), Is.EqualTo(plain.Decode(7).ToArray()), "the decode step after the prompt");
    }
}
