using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Tests.Quant;

namespace EdgeLlm.Kernels.Tests.Model;

/// <summary>
/// The attention kernel of every path's table (x86 and arm64: all heads of one KV head at once) against its twin one
/// head at a time (dequantize the cache row, dot, softmax, fused multiply-add of the value rows, on the same path's
/// vector operations); on the scalar path that twin is the reference itself. Scores and outputs must be the same bits.
/// See docs/architecture.md, "Kernel table and paths".
/// </summary>
public unsafe class GroupedAttentionTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (KernelPath path in MatVecTests.Paths())
        {
            foreach (KvCacheType type in new[] { KvCacheType.F32, KvCacheType.Q8_0, KvCacheType.F16 })
            {
                foreach (int group in new[] { 1, 2, 3, 4, 5 })
                {
                    foreach ((int hd, int n) in new[] { (32, 1), (64, 7), (64, 130), (128, 33) })
                    {
                        yield return new TestCaseData(path, type, group, hd, n).SetArgDisplayNames(path.ToString(), type.ToString(), $"group {group}", $"head {hd}", $"{n} positions");
                    }
                }
            }
        }
    }

    /// <summary>The grouped kernels cover MobileLLM's head layouts (head 64, 3 or 4 query heads per KV head) on every SIMD path.</summary>
    [TestCaseSource(typeof(MatVecTests), nameof(MatVecTests.Paths))]
    public void SimdPathsRunTheGroupedKernelForMobileLlmHeads(KernelPath path)
    {
        KernelTable k = KernelTable.For(path);
        foreach (KvCacheType type in new[] { KvCacheType.F32, KvCacheType.Q8_0 })
        {
            foreach (int group in new[] { 3, 4 })
            {
                Assert.That(k.IsGrouped(64, group, type), Is.EqualTo(path != KernelPath.Scalar), $"{type} group {group}: grouped on every SIMD path, the one-head reference on the scalar path");
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void GroupEqualsOneHeadAtATime(KernelPath path, KvCacheType type, int group, int hd, int n)
    {
        KernelTable k = KernelTable.For(path);
        var rng = new Random((group * 1000) + (hd * 7) + n + (int)type);
        const int kvHeads = 2, kvHead = 1; // the second KV head: the row offset is exercised
        int kvDim = kvHeads * hd;
        var cache = new KvCache(1, n, kvDim, hd, type);
        for (int p = 0; p < n; p++)
        {
            cache.Store(0, p, Row(rng, kvDim, 2f), Row(rng, kvDim, 2f));
        }

        float[] q = Row(rng, group * hd, 1f);
        float scale = 1f / MathF.Sqrt(hd);
        int scStride = n + 5;
        float[] sc = new float[group * scStride];
        float[] o = new float[group * hd];
        float[] tmp = new float[hd];
        fixed (float* pq = q, psc = sc, po = o, pt = tmp)
        {
            k.Attention(hd, group, type)(type, group, pq, hd, cache.KeyRows(0, kvHead), cache.ValueRows(0, kvHead), cache.HeadBytes, n, scale, psc, scStride, po, pt);
        }

        // the twin: one head at a time on the path's own vector operations (the scalar ones on the scalar path)
        float[] kr = new float[hd], vr = new float[hd];
        for (int h = 0; h < group; h++)
        {
            float[] s = new float[n];
            float[] oRef = new float[hd];
            fixed (float* pq = q, pk = kr, pv = vr, ps = s, po = oRef)
            {
                for (int p = 0; p < n; p++)
                {
                    cache.ReadKey(0, p, kvHead * hd, kr);
                    ps[p] = k.Dot(pq + (h * hd), pk, hd) * scale;
                }

                k.Softmax(ps, n);
                for (int p = 0; p < n; p++)
                {
                    cache.ReadValue(0, p, kvHead * hd, vr);
                    k.AddScaled(po, pv, ps[p], hd);
                }
            }

            for (int p = 0; p < n; p++)
            {
                Assert.That(BitConverter.SingleToInt32Bits(sc[(h * scStride) + p]), Is.EqualTo(BitConverter.SingleToInt32Bits(s[p])), $"head {h} probability {p}");
            }

            for (int i = 0; i < hd; i++)
            {
                Assert.That(BitConverter.SingleToInt32Bits(o[(h * hd) + i]), Is.EqualTo(BitConverter.SingleToInt32Bits(oRef[i])), $"head {h} output {i}");
            }
        }
    }

    private static float[] Row(Random rng, int n, float scale)
    {
        float[] x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
        }

        return x;
    }
}
