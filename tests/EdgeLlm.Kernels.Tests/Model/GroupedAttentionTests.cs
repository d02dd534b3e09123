using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Model;

/// <summary>
/// The grouped-query attention kernel (all heads of one KV head at once) against its scalar twin: one head at a time,
/// dequantize the cache row, <see cref="Ops.Dot(float*, float*, int)"/>, softmax, <see cref="Ops.AddScaled(float*, float*, float, int)"/>.
/// Scores and outputs must be the same bits.
/// </summary>
public unsafe class GroupedAttentionTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        if (!GroupedAttention.Supported(64, 3, KvCacheType.Q8_0))
        {
            // one case that reports the kernel missing on this CPU, not thirty-two identical skips
            yield return new TestCaseData(KvCacheType.Q8_0, 3, 64, 7).SetArgDisplayNames("not on this CPU");
            yield break;
        }

        foreach (KvCacheType type in new[] { KvCacheType.F32, KvCacheType.Q8_0 })
        {
            foreach (int group in new[] { 1, 2, 3, 4 })
            {
                foreach ((int hd, int n) in new[] { (32, 1), (64, 7), (64, 130), (128, 33) })
                {
                    yield return new TestCaseData(type, group, hd, n).SetArgDisplayNames(type.ToString(), $"group {group}", $"head {hd}", $"{n} positions");
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void GroupEqualsOneHeadAtATime(KvCacheType type, int group, int hd, int n)
    {
        if (!GroupedAttention.Supported(hd, group, type))
        {
            Assert.Ignore("the grouped attention kernel needs AVX2 with FMA (this CPU runs one head at a time)");
        }

        var rng = new Random((group * 1000) + (hd * 7) + n + (int)type);
        const int kvHeads = 2, kvHead = 1; // the second KV head: the row offset is exercised
        int kvDim = kvHeads * hd;
        var cache = new KvCache(1, n, kvDim, type);
        for (int p = 0; p < n; p++)
        {
            cache.Store(0, p, Row(rng, kvDim, 2f), Row(rng, kvDim, 2f));
        }

        float[] q = Row(rng, group * hd, 1f);
        float scale = 1f / MathF.Sqrt(hd);
        int scStride = n + 5;
        float[] sc = new float[group * scStride];
        float[] o = new float[group * hd];
        long rowOffset = type == KvCacheType.F32 ? (long)kvHead * hd * sizeof(float) : (long)kvHead * hd / 32 * 34;
        fixed (float* pq = q, psc = sc, po = o)
        {
            GroupedAttention.Run(type, group, pq, hd, cache.KeyData + rowOffset, cache.ValueData + rowOffset, cache.RowBytes, n, scale, psc, scStride, po);
        }

        float[] k = new float[hd], v = new float[hd];
        for (int h = 0; h < group; h++)
        {
            float[] s = new float[n];
            float[] oRef = new float[hd];
            fixed (float* pq = q, pk = k, pv = v, po = oRef)
            {
                for (int p = 0; p < n; p++)
                {
                    cache.ReadKey(0, p, kvHead * hd, k);
                    s[p] = Ops.Dot(pq + (h * hd), pk, hd) * scale;
                }

                Ops.Softmax(s);
                for (int p = 0; p < n; p++)
                {
                    cache.ReadValue(0, p, kvHead * hd, v);
                    Ops.AddScaled(po, pv, s[p], hd);
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
