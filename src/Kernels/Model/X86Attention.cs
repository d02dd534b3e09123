using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// x86 attention for all query heads that share one KV head at once (MobileLLM: 3 or 4 per KV head): each cache row is
/// loaded (and, for Q8_0, made floats) once for the group instead of once per head. Per head, every score and every
/// output element is computed by the same fused multiply-adds in the same order as its twin, one head at a time on
/// <see cref="SimdOps"/> (<see cref="OneHeadAttention.Run{TOps}"/>: <see cref="SimdOps.Dot"/>, softmax,
/// <see cref="SimdOps.AddScaled"/> on the dequantized row), so the results are bit-identical to it. AVX2 with 8-float
/// vectors, head sizes in 32s.
/// </summary>
internal static unsafe class X86Attention
{
    /// <summary>
    /// Whether this kernel covers the shape (the table asks only on its ISA's paths). The vector width must be the
    /// one <see cref="SimdOps"/> runs with, or the lane order would differ from the twin's.
    /// </summary>
    public static bool Supported(int headDim, int group, KvCacheType type) =>
        Vector<float>.Count == 8 && headDim % 32 == 0 && group is >= 1 and <= 4
        && type is KvCacheType.F32 or KvCacheType.Q8_0;

    /// <summary>
    /// Heads q, q + hd, … of one group against cache rows 0..n-1 (at <paramref name="keys"/> + p·rb): scores (times
    /// <paramref name="scale"/>) into sc + h·scStride, softmax, then the weighted sum of value rows into out + h·hd.
    /// (<paramref name="tmp"/>, a dequantized row for the one-head kernel, is not needed here.)
    /// </summary>
    public static void Run(KvCacheType type, int group, float* q, int hd, byte* keys, byte* values, long rb, int n, float scale, float* sc, int scStride, float* o, float* tmp)
    {
        switch ((type, group))
        {
            case (KvCacheType.F32, 1): Run<OneHead, X86F32Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (KvCacheType.F32, 2): Run<TwoHeads, X86F32Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (KvCacheType.F32, 3): Run<ThreeHeads, X86F32Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (KvCacheType.F32, _): Run<FourHeads, X86F32Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (_, 1): Run<OneHead, X86Q8Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (_, 2): Run<TwoHeads, X86Q8Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (_, 3): Run<ThreeHeads, X86Q8Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            default: Run<FourHeads, X86Q8Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
        }
    }

    private static void Run<TH, TRow>(float* q, int hd, byte* keys, byte* values, long rb, int n, float scale, float* sc, int scStride, float* o)
        where TH : struct, IHeadCount
        where TRow : struct, IX86CacheRow
    {
        int nb = hd / 32;
        for (int p = 0; p < n; p++)
        {
            byte* row = keys + (p * rb);

            // SimdOps.Dot's order: 8-float chunk c goes to acc0 when c is even, acc1 when odd.
            Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
            Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
            for (int b = 0; b < nb; b++)
            {
                TRow.Load4(row, b, out Vector256<float> k0, out Vector256<float> k1, out Vector256<float> k2, out Vector256<float> k3);
                float* qb = q + (b * 32);
                Fma4(qb, k0, k1, k2, k3, ref a00, ref a01);
                if (TH.N > 1)
                {
                    Fma4(qb + hd, k0, k1, k2, k3, ref a10, ref a11);
                }

                if (TH.N > 2)
                {
                    Fma4(qb + (2 * hd), k0, k1, k2, k3, ref a20, ref a21);
                }

                if (TH.N > 3)
                {
                    Fma4(qb + (3 * hd), k0, k1, k2, k3, ref a30, ref a31);
                }
            }

            sc[p] = Vector256.Sum(a00 + a01) * scale;
            if (TH.N > 1)
            {
                sc[scStride + p] = Vector256.Sum(a10 + a11) * scale;
            }

            if (TH.N > 2)
            {
                sc[(2 * scStride) + p] = Vector256.Sum(a20 + a21) * scale;
            }

            if (TH.N > 3)
            {
                sc[(3 * scStride) + p] = Vector256.Sum(a30 + a31) * scale;
            }
        }

        for (int h = 0; h < TH.N; h++)
        {
            SimdOps.Softmax(sc + (h * scStride), n);
        }

        // out_h += s_h[p]·v_p for p in order, 32 values (one block, four chunks) of every head per pass over the rows.
        for (int b = 0; b < nb; b++)
        {
            Vector256<float> o00 = default, o01 = default, o02 = default, o03 = default;
            Vector256<float> o10 = default, o11 = default, o12 = default, o13 = default;
            Vector256<float> o20 = default, o21 = default, o22 = default, o23 = default;
            for (int p = 0; p < n; p++)
            {
                TRow.Load4(values + (p * rb), b, out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3);
                Axpy4(sc[p], v0, v1, v2, v3, ref o00, ref o01, ref o02, ref o03);
                if (TH.N > 1)
                {
                    Axpy4(sc[scStride + p], v0, v1, v2, v3, ref o10, ref o11, ref o12, ref o13);
                }

                if (TH.N > 2)
                {
                    Axpy4(sc[(2 * scStride) + p], v0, v1, v2, v3, ref o20, ref o21, ref o22, ref o23);
                }
            }

            Store4(o + (b * 32), o00, o01, o02, o03);
            if (TH.N > 1)
            {
                Store4(o + hd + (b * 32), o10, o11, o12, o13);
            }

            if (TH.N > 2)
            {
                Store4(o + (2 * hd) + (b * 32), o20, o21, o22, o23);
            }

            if (TH.N > 3)
            {
                // the fourth head in its own pass: sixteen accumulators would not fit the registers
                Vector256<float> o30 = default, o31 = default, o32 = default, o33 = default;
                for (int p = 0; p < n; p++)
                {
                    TRow.Load4(values + (p * rb), b, out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3);
                    Axpy4(sc[(3 * scStride) + p], v0, v1, v2, v3, ref o30, ref o31, ref o32, ref o33);
                }

                Store4(o + (3 * hd) + (b * 32), o30, o31, o32, o33);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fma4(float* q, Vector256<float> k0, Vector256<float> k1, Vector256<float> k2, Vector256<float> k3, ref Vector256<float> acc0, ref Vector256<float> acc1)
    {
        acc0 = Fma.MultiplyAdd(Vector256.Load(q), k0, acc0);
        acc1 = Fma.MultiplyAdd(Vector256.Load(q + 8), k1, acc1);
        acc0 = Fma.MultiplyAdd(Vector256.Load(q + 16), k2, acc0);
        acc1 = Fma.MultiplyAdd(Vector256.Load(q + 24), k3, acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy4(float s, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3, ref Vector256<float> o0, ref Vector256<float> o1, ref Vector256<float> o2, ref Vector256<float> o3)
    {
        Vector256<float> f = Vector256.Create(s);
        o0 = Fma.MultiplyAdd(v0, f, o0);
        o1 = Fma.MultiplyAdd(v1, f, o1);
        o2 = Fma.MultiplyAdd(v2, f, o2);
        o3 = Fma.MultiplyAdd(v3, f, o3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* o, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        v0.Store(o);
        v1.Store(o + 8);
        v2.Store(o + 16);
        v3.Store(o + 24);
    }
}
