using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Model;

/// <summary>
/// The fused Q8_0 attention kernels against their scalar twin: dequantize the cache row into floats, then the plain
/// dot / multiply-add. The fused ones must give the same bits (d·q is exact, and the fused multiply-adds run in the
/// same order).
/// </summary>
public unsafe class AttentionQ8Tests
{
    [Test]
    public void FusedKernelsEqualDequantizeThenCompute()
    {
        if (!AttentionQ8.Supported(64))
        {
            Assert.Ignore("the fused Q8_0 attention kernels need AVX2 (this CPU dequantizes rows instead)");
        }

        foreach ((int n, int seed) in new[] { (32, 1), (64, 2), (128, 3) })
        {
            Check(n, seed);
        }
    }

    private static void Check(int n, int seed)
    {
        var rng = new Random(seed);
        for (int trial = 0; trial < 200; trial++)
        {
            float[] q = RandomRow(rng, n, trial % 5 == 0 ? 1e-3f : 3f);
            float[] kf = RandomRow(rng, n, trial % 7 == 0 ? 1e4f : 1f);
            byte[] blocks = new byte[n / 32 * 34];
            Q8_0.Quantize(kf, blocks);
            float[] k = new float[n];
            float[] dst = RandomRow(rng, n, 1f), dstRef = (float[])dst.Clone();
            float s = (float)rng.NextDouble();
            fixed (byte* pb = blocks)
            fixed (float* pq = q, pk = k, pd = dst, pr = dstRef)
            {
                KvCache.Read(pb, KvCacheType.Q8_0, 0, k);
                Assert.That(BitConverter.SingleToInt32Bits(AttentionQ8.Dot(pq, pb, n)), Is.EqualTo(BitConverter.SingleToInt32Bits(Ops.Dot(pq, pk, n))), $"dot, trial {trial}");
                AttentionQ8.AddScaled(pd, pb, s, n);
                Ops.AddScaled(pr, pk, s, n);
            }

            for (int i = 0; i < n; i++)
            {
                Assert.That(BitConverter.SingleToInt32Bits(dst[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(dstRef[i])), $"add-scaled [{i}], trial {trial}");
            }
        }
    }

    private static float[] RandomRow(Random rng, int n, float scale)
    {
        float[] x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
        }

        return x;
    }
}
