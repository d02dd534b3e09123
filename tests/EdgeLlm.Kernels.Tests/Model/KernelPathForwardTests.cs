using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Tests.Quant;

namespace EdgeLlm.Kernels.Tests.Model;

/// <summary>
/// The whole forward pass (prefill, then decode steps) on every kernel path this CPU runs against the scalar reference
/// path. The integer dots are bit-exact on every path, but the float operations around them are not (summation order
/// of dots and norms, the SIMD exp), so the bound is the one the llama.cpp oracle uses for the same reason
/// (docs/architecture.md, "Testing and oracles"): F32 weights 1e-4 of the largest logit; quantized weights, where a
/// float difference of an ulp can round one activation to the neighbouring int8 and carry one quantization step
/// through the cache, a median of 5e-3 and a worst of 3e-2 per step. Measured on this suite's 576-wide random
/// models (21-token prompt, 4 decode steps), the same on x86 AVX2 and on arm64 AdvSIMD and SDOT under qemu: Q8_0
/// weights 0, Q4_0 with an F16 cache 7.7e-3 (one flipped rounding), F32 8.5e-7 (x86) and 9.1e-7 (arm64). Two paths of
/// the same ISA (AVX2 / AVX-VNNI / AVX-512BW, AdvSIMD / SDOT) differ only in the integer dot instruction or the prefill
/// tile's shape, so they agree bit for bit.
/// </summary>
public class KernelPathForwardTests
{

    public static IEnumerable<TestCaseData> SimdCases()
    {
        foreach (KernelPath path in MatVecTests.Paths().Where(p => p != KernelPath.Scalar))
        {
            foreach ((GgmlType type, KvCacheType kv) in new[] { (GgmlType.Q8_0, KvCacheType.Q8_0), (GgmlType.Q4_0, KvCacheType.F16), (GgmlType.F32, KvCacheType.F32) })
            {
                yield return new TestCaseData(path, type, kv).SetArgDisplayNames(path.ToString(), type.ToString(), $"kv {kv}");
            }
        }
    }

    [TestCaseSource(nameof(SimdCases))]
    public void SimdPathStaysWithinTheBoundOfTheScalarReference(KernelPath path, GgmlType type, KvCacheType kv)
    {
        string model = TransformerBatchTests.ModelPath(type);
        using var reference = LanguageModel.Load(model, new ModelLoadOptions { Threads = 2, KernelPath = KernelPath.Scalar, KvCacheType = kv });
        using var simd = LanguageModel.Load(model, new ModelLoadOptions { Threads = 2, KernelPath = path, KvCacheType = kv });
        Assert.That(reference.Description.KernelPath, Is.EqualTo(KernelPath.Scalar));
        Assert.That(simd.Description.KernelPath, Is.EqualTo(path));

        // short enough for the arm64 run under qemu, where the scalar reference is slow; a prompt over 16 tokens
        // exercises the prefill tiles' two-token steps and leftover rows
        int[] prompt = TransformerBatchTests.Tokens(21, seed: 17);
        double worst = Compare(type, reference.Prefill(prompt).ToArray(), simd.Prefill(prompt).ToArray(), "prefill");
        for (int step = 0; step < 4; step++)
        {
            int next = Kernels.Sampling.Sampler.ArgMax(reference.Logits); // both fed the reference's token: the same sequence
            worst = Math.Max(worst, Compare(type, reference.Decode(next).ToArray(), simd.Decode(next).ToArray(), $"decode step {step}"));
        }

        TestContext.Out.WriteLine($"{path} {type} kv {kv}: largest |Δlogit| / max|logit| = {worst:E2}");
    }

    public static IEnumerable<TestCaseData> SameIsaPairs()
    {
        yield return new TestCaseData(KernelPath.Avx2, KernelPath.AvxVnni).SetArgDisplayNames("Avx2", "AvxVnni");
        yield return new TestCaseData(KernelPath.Avx2, KernelPath.Avx512).SetArgDisplayNames("Avx2", "Avx512");
        yield return new TestCaseData(KernelPath.AdvSimd, KernelPath.ArmDotProd).SetArgDisplayNames("AdvSimd", "ArmDotProd");
    }

    [TestCaseSource(nameof(SameIsaPairs))]
    public void PathsOfOneIsaAgreeBitForBit(KernelPath a, KernelPath b)
    {
        MatVecTests.RequireSupported(a);
        MatVecTests.RequireSupported(b);
        foreach (GgmlType type in new[] { GgmlType.Q8_0, GgmlType.Q4_0 })
        {
            string model = TransformerBatchTests.ModelPath(type);
            using var la = LanguageModel.Load(model, new ModelLoadOptions { Threads = 2, KernelPath = a, KvCacheType = KvCacheType.Q8_0 });
            using var lb = LanguageModel.Load(model, new ModelLoadOptions { Threads = 2, KernelPath = b, KvCacheType = KvCacheType.Q8_0 });
            int[] prompt = TransformerBatchTests.Tokens(17, seed: 3);
            Assert.That(lb.Prefill(prompt).ToArray(), Is.EqualTo(la.Prefill(prompt).ToArray()), $"{type} prefill");
            Assert.That(lb.Decode(9).ToArray(), Is.EqualTo(la.Decode(9).ToArray()), $"{type} decode");
        }
    }

    [Test]
    public void AKernelPathThisCpuLacksIsRefusedAtLoad()
    {
        KernelPath[] missing = MatVecTests.UnavailablePaths().ToArray();
        Assert.That(missing, Is.Not.Empty, "no CPU runs both the x86 and the arm64 paths");
        foreach (KernelPath p in missing)
        {
            var e = Assert.Throws<NotSupportedException>(() => LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1, KernelPath = p }));
            Assert.That(e!.Message, Does.Contain("not supported on this CPU"), p.ToString());
        }
    }

    /// <summary>The real trained model tells the same greedy story from BOS on the scalar reference as on the best path.</summary>
    [Test]
    public async Task ScalarReferenceTellsTheSameGreedyStory()
    {
        string model = TestModels.Stories260K(GgmlType.Q8_0);
        var o = new GenerationOptions { MaxTokens = 100, Sampling = SamplingOptions.Greedy };
        using var reference = LanguageModel.Load(model, new ModelLoadOptions { Threads = 1, KernelPath = KernelPath.Scalar });
        using var best = LanguageModel.Load(model, new ModelLoadOptions { Threads = 1 });
        string a = await Text(reference, o), b = await Text(best, o);
        Assert.That(a, Does.StartWith("Once upon a time"));
        Assert.That(b, Is.EqualTo(a), $"{best.KernelPath} vs Scalar");
    }

    private static async Task<string> Text(LanguageModel lm, GenerationOptions o)
    {
        var text = new System.Text.StringBuilder();
        await foreach (TokenEvent e in lm.GenerateAsync("", o))
        {
            text.Append(e.Text);
        }

        return text.ToString();
    }

    /// <summary>Asserts the bound for <paramref name="type"/>; returns the largest |Δ| relative to the reference's largest |logit|.</summary>
    private static double Compare(GgmlType type, float[] reference, float[] simd, string what)
    {
        double scale = reference.Max(v => Math.Abs((double)v));
        Assert.That(scale, Is.GreaterThan(0), $"{what}: all-zero logits cannot test anything");
        Assert.That(simd.All(float.IsFinite), Is.True, $"{what}: finite logits");
        double[] d = reference.Select((r, i) => Math.Abs(simd[i] - (double)r) / scale).Order().ToArray();
        if (type == GgmlType.F32)
        {
            Assert.That(d[^1], Is.LessThan(1e-4), $"{what}: largest |Δlogit| / max|logit|");
        }
        else
        {
            Assert.That(d[d.Length / 2], Is.LessThan(5e-3), $"{what}: median |Δlogit| / max|logit|");
            Assert.That(d[^1], Is.LessThan(3e-2), $"{what}: largest |Δlogit| / max|logit|");
        }

        return d[^1];
    }
}
