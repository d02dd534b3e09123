using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;

namespace EdgeLlm.Kernels.Tests.Model;

/// <summary>
/// The quantized KV cache options: storage round trip, memory, and how far they move the logits from the F32 cache
/// (the default, which the oracle tests compare with llama.cpp).
/// </summary>
public class KvCacheTests
{
    [TestCase(KvCacheType.F32, 4 * 192)]
    [TestCase(KvCacheType.F16, 2 * 192)]
    [TestCase(KvCacheType.Q8_0, 6 * 34)]
    public void StoresAndReadsBackEachFormat(KvCacheType type, int rowBytes)
    {
        var cache = new KvCache(passes: 2, contextLength: 8, kvDim: 192, headDim: 64, type);
        Assert.That(cache.Bytes, Is.EqualTo(2L * 2 * 8 * rowBytes));
        var rng = new Random(3);
        float[] k = Quant.BlockFormatTests.RandomVector(rng, 192), v = Quant.BlockFormatTests.RandomVector(rng, 192);
        cache.Store(1, 5, k, v);
        float[] back = new float[64];
        cache.ReadKey(1, 5, 64, back);
        float tol = type switch { KvCacheType.F32 => 0f, KvCacheType.F16 => 1e-3f, _ => 1f / 127 };
        float amax = k.Skip(64).Take(64).Max(MathF.Abs);
        for (int i = 0; i < 64; i++)
        {
            Assert.That(back[i], Is.EqualTo(k[64 + i]).Within((tol * amax) + 1e-7f), $"key element {64 + i}");
        }

        cache.ReadValue(1, 5, 128, back);
        Assert.That(back[63], Is.EqualTo(v[191]).Within((tol * v.Skip(128).Max(MathF.Abs)) + 1e-7f));

        // a read across two heads' runs (the layout is head-major: docs/architecture.md, "Memory")
        float[] across = new float[64];
        cache.ReadKey(1, 5, 32, across);
        Assert.That(across[40], Is.EqualTo(k[72]).Within((tol * amax) + 1e-7f));
    }

    /// <summary>
    /// One KV head's positions are one contiguous run (what the attention kernels walk), heads and passes after each
    /// other: every position of every head of every pass reads back its own values.
    /// </summary>
    [TestCase(KvCacheType.F32)]
    [TestCase(KvCacheType.Q8_0)]
    public void EachHeadsHistoryIsOneContiguousRun(KvCacheType type)
    {
        const int passes = 2, ctx = 5, hd = 32, heads = 3;
        var cache = new KvCache(passes, ctx, heads * hd, hd, type);
        Assert.That(cache.HeadStride, Is.EqualTo((long)ctx * cache.HeadBytes));
        unsafe
        {
            Assert.That((long)(cache.KeyRows(1, 0) - cache.KeyRows(0, 0)), Is.EqualTo(heads * cache.HeadStride), "passes after all heads");
            Assert.That((long)(cache.KeyRows(0, 2) - cache.KeyRows(0, 1)), Is.EqualTo(cache.HeadStride));
        }

        for (int pass = 0; pass < passes; pass++)
        {
            for (int pos = 0; pos < ctx; pos++)
            {
                // position p of head h holds the constant (pass, head, pos) code, exact in every format
                float[] row = Enumerable.Range(0, heads * hd).Select(i => (float)((pass * 100) + ((i / hd) * 10) + pos)).ToArray();
                cache.Store(pass, pos, row, row);
            }
        }

        float[] one = new float[hd];
        for (int pass = 0; pass < passes; pass++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int pos = 0; pos < ctx; pos++)
                {
                    unsafe
                    {
                        KvCache.Read(cache.KeyRows(pass, h) + ((long)pos * cache.HeadBytes), type, 0, one);
                    }

                    float expected = (pass * 100) + (h * 10) + pos;
                    Assert.That(one, Has.All.EqualTo(expected).Within(expected / 127f), $"pass {pass} head {h} position {pos}");
                }
            }
        }
    }

    [Test]
    public void Q8_0CacheNeedsHeadsOfWholeBlocks()
    {
        Assert.Throws<ArgumentException>(() => _ = new KvCache(1, 4, 96, 48, KvCacheType.Q8_0));
        Assert.Throws<ArgumentException>(() => _ = new KvCache(1, 4, 96, 40), "not a whole number of heads");
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.F32), new ModelLoadOptions { Threads = 1, KvCacheType = KvCacheType.F16 });
        Assert.That(lm.Transformer.Cache.Type, Is.EqualTo(KvCacheType.F16));
        Assert.Throws<ArgumentException>(() => LanguageModel.Load(TestModels.Stories260K(GgmlType.F32), new ModelLoadOptions { KvCacheType = KvCacheType.Q8_0 }));
    }

    [Test]
    public void AutoIsQ8_0WhereHeadsAreWholeBlocksElseF32()
    {
        using var tiny = LanguageModel.Load(TestModels.Stories260K(GgmlType.F32), new ModelLoadOptions { Threads = 1, KvCacheType = KvCacheType.Auto });
        Assert.That(tiny.Config.HeadDim % 32, Is.Not.Zero);
        Assert.That(tiny.Transformer.Cache.Type, Is.EqualTo(KvCacheType.F32));
        using var shaped = LanguageModel.Load(TransformerBatchTests.ModelPath(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1, KvCacheType = KvCacheType.Auto });
        Assert.That(shaped.Config.HeadDim % 32, Is.Zero);
        Assert.That(shaped.Transformer.Cache.Type, Is.EqualTo(KvCacheType.Q8_0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new KvCache(1, 4, 64, 64, KvCacheType.Auto));
    }

    /// <summary>
    /// 200 positions of the MobileLLM-shaped model: max |Δlogit| / max |logit| per position against the F32 cache.
    /// Measured: F16 2.2e-2, Q8_0 2.6e-2 worst over the 200 positions, greedy token equal at 194 and 192 of 200.
    /// Both are at the floor set by the Q8_0 weights, not by the cache: any change of the attention output, however
    /// small, flips an activation across an int8 rounding boundary now and then, which is the same one-step effect the
    /// oracle tests bound between us and llama.cpp (~1e-2 to 3e-2). Asserted: &lt; 5e-2 and ≥ 95 % equal greedy tokens.
    /// </summary>
    [TestCase(KvCacheType.F16, 5e-2)]
    [TestCase(KvCacheType.Q8_0, 5e-2)]
    public void QuantizedCacheKeepsLogitsWithinBound(KvCacheType type, double bound)
    {
        string path = TransformerBatchTests.ModelPath(GgmlType.Q8_0);
        using var f32 = LanguageModel.Load(path, new ModelLoadOptions { Threads = 1 });
        using var q = LanguageModel.Load(path, new ModelLoadOptions { Threads = 1, KvCacheType = type });
        int[] tokens = TransformerBatchTests.Tokens(200, seed: 11);
        double worst = 0;
        int sameArgmax = 0;
        for (int p = 0; p < tokens.Length; p++)
        {
            float[] a = f32.Transformer.Forward(tokens[p], p).ToArray();
            float[] b = q.Transformer.Forward(tokens[p], p).ToArray();
            double scale = a.Max(MathF.Abs);
            worst = Math.Max(worst, a.Zip(b, (x, y) => Math.Abs(x - y)).Max() / scale);
            sameArgmax += Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max()) ? 1 : 0;
        }

        TestContext.Progress.WriteLine($"{type} KV cache: worst relative logit error {worst:E2}, same greedy token at {sameArgmax}/{tokens.Length} positions");
        Assert.That(worst, Is.LessThan(bound));
        Assert.That(sameArgmax, Is.GreaterThanOrEqualTo(tokens.Length * 95 / 100));
    }
}
