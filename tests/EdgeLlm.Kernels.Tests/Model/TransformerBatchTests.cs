using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;

namespace EdgeLlm.Kernels.Tests.Model;

/// <summary>
/// Batched prefill against token-by-token decoding on a MobileLLM-shaped random model (576 wide, 1536 FFN, 9 heads,
/// 3 KV heads): the batched kernels are bit-exact, so the logits and the KV cache must be identical, including a
/// prompt longer than one batch and a prefill that continues an existing cache.
/// </summary>
public class TransformerBatchTests
{
    private static readonly Lazy<string> Q8Model = new(() => RandomLlama.Write(Shape, GgmlType.Q8_0, seed: 23));
    private static readonly Lazy<string> Q4Model = new(() => RandomLlama.Write(Shape, GgmlType.Q4_0, seed: 23));
    private static readonly Lazy<string> F32Model = new(() => RandomLlama.Write(Shape, GgmlType.F32, seed: 23));

    internal static Kernels.Model.ModelConfig Shape => RandomLlama.Shape(dim: 576, hidden: 1536, layers: 2, heads: 9, kvHeads: 3, context: 256);

    internal static string ModelPath(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => Q8Model.Value,
        GgmlType.Q4_0 => Q4Model.Value,
        _ => F32Model.Value,
    };

    internal static int[] Tokens(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(3, 512)).ToArray();
    }

    [TestCase(GgmlType.Q8_0, 1, KvCacheType.F32)]
    [TestCase(GgmlType.Q8_0, 2, KvCacheType.F32)]
    [TestCase(GgmlType.Q4_0, 2, KvCacheType.F32)]
    [TestCase(GgmlType.F32, 2, KvCacheType.F32)]
    [TestCase(GgmlType.Q8_0, 2, KvCacheType.Q8_0)]
    [TestCase(GgmlType.Q4_0, 1, KvCacheType.F16)]
    public void PrefillEqualsTokenByTokenBitForBit(GgmlType type, int threads, KvCacheType kv)
    {
        int[] tokens = Tokens(Transformer.MaxBatch + 13, seed: 5); // two batches
        var options = new ModelLoadOptions { Threads = threads, KvCacheType = kv };
        using var a = LanguageModel.Load(ModelPath(type), options);
        using var b = LanguageModel.Load(ModelPath(type), options);

        float[] stepwise = [];
        for (int p = 0; p < tokens.Length; p++)
        {
            stepwise = a.Transformer.Forward(tokens[p], p).ToArray();
        }

        // 20 tokens in one batch, then the rest continuing the cache
        b.Transformer.Prefill(tokens.AsSpan(0, 20), 0, computeLogits: false);
        float[] batched = b.Transformer.Prefill(tokens.AsSpan(20), 20).ToArray();

        Assert.That(batched, Is.EqualTo(stepwise), "logits of the last prompt token");
        if (kv == KvCacheType.F32)
        {
            float[] ka = new float[192], kb = new float[192];
            for (int p = 0; p < tokens.Length; p++)
            {
                a.Transformer.Cache.ReadKey(0, p, 0, ka);
                b.Transformer.Cache.ReadKey(0, p, 0, kb);
                Assert.That(kb, Is.EqualTo(ka), $"keys of pass 0, position {p}");
            }
        }

        // and decoding continues identically from either cache
        Assert.That(b.Transformer.Forward(7, tokens.Length).ToArray(), Is.EqualTo(a.Transformer.Forward(7, tokens.Length).ToArray()));
    }

    [Test]
    public void PrefillRejectsPositionsOutsideTheContext()
    {
        using var lm = LanguageModel.Load(ModelPath(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1, ContextLength = 16 });
        Assert.Throws<ArgumentOutOfRangeException>(() => lm.Transformer.Prefill(Tokens(17, 1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => lm.Transformer.Prefill(Tokens(2, 1), 15));
        Assert.Throws<ArgumentOutOfRangeException>(() => lm.Transformer.Prefill(new[] { 512 }, 0));
        Assert.Throws<ArgumentException>(() => lm.Transformer.Prefill(ReadOnlySpan<int>.Empty, 0));
    }
}
