using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// arm64 attention for all query heads that share one KV head at once, the shape of <see cref="X86Attention"/> with
/// 4-float vectors: each cache row is loaded (and, for Q8_0, made floats) once for the group. Per head, every score
/// and every output element is computed by the same fused multiply-adds in the same order as its twin, one head at a
/// time on <see cref="SimdOps"/> (<see cref="Vector{T}"/> is 128-bit on arm64: chunk c of four floats goes to
/// accumulator c mod 2), so the results are bit-identical to it. Head sizes in 32s, groups up to four.
/// </summary>
internal static unsafe class ArmAttention
{
    /// <summary>
    /// Whether this kernel covers the shape (the table asks only on its ISA's paths). The vector width must be the
    /// one <see cref="SimdOps"/> runs with, or the lane order would differ from the twin's.
    /// </summary>
    public static bool Supported(int headDim, int group, KvCacheType type) =>
        Vector<float>.Count == 4 && headDim % 32 == 0 && group is >= 1 and <= 4
        && type is KvCacheType.F32 or KvCacheType.Q8_0;

    /// <summary>As <see cref="X86Attention.Run"/>.</summary>
    public static void Run(KvCacheType type, int group, float* q, int hd, byte* keys, byte* values, long rb, int n, float scale, float* sc, int scStride, float* o, float* tmp)
    {
        switch ((type, group))
        {
            case (KvCacheType.F32, 1): Run<OneHead, ArmF32Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (KvCacheType.F32, 2): Run<TwoHeads, ArmF32Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (KvCacheType.F32, 3): Run<ThreeHeads, ArmF32Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (KvCacheType.F32, _): Run<FourHeads, ArmF32Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (_, 1): Run<OneHead, ArmQ8Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (_, 2): Run<TwoHeads, ArmQ8Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            case (_, 3): Run<ThreeHeads, ArmQ8Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
            default: Run<FourHeads, ArmQ8Row>(q, hd, keys, values, rb, n, scale, sc, scStride, o); break;
        }
    }

    private static void Run<TH, TRow>(float* q, int hd, byte* keys, byte* values, long rb, int n, float scale, float* sc, int scStride, float* o)
        where TH : struct, IHeadCount
        where TRow : struct, IArmCacheRow
    {
        int halves = hd / 16;
        for (int p = 0; p < n; p++)
        {
            byte* row = keys + (p * rb);

            // SimdOps.Dot's order on 4-float vectors: chunk c to acc0 when c is even, acc1 when odd; a half block (16
            // values, chunks 4i..4i+3) starts on an even chunk.
            Vector128<float> a00 = default, a01 = default, a10 = default, a11 = default;
            Vector128<float> a20 = default, a21 = default, a30 = default, a31 = default;
            for (int hb = 0; hb < halves; hb++)
            {
                TRow.Load4(row, hb, out Vector128<float> k0, out Vector128<float> k1, out Vector128<float> k2, out Vector128<float> k3);
                float* qb = q + (hb * 16);
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

            sc[p] = Vector128.Sum(a00 + a01) * scale;
            if (TH.N > 1)
            {
                sc[scStride + p] = Vector128.Sum(a10 + a11) * scale;
            }

            if (TH.N > 2)
            {
                sc[(2 * scStride) + p] = Vector128.Sum(a20 + a21) * scale;
            }

            if (TH.N > 3)
            {
                sc[(3 * scStride) + p] = Vector128.Sum(a30 + a31) * scale;
            }
        }

        for (int h = 0; h < TH.N; h++)
        {
            SimdOps.Softmax(sc + (h * scStride), n);
        }

        // out_h += s_h[p]·v_p for p in order, 16 values (half a block, four vectors) of every head per pass over the
        // rows: sixteen accumulators and four value vectors fit the 32 registers.
        for (int hb = 0; hb < halves; hb++)
        {
            Vector128<float> o00 = default, o01 = default, o02 = default, o03 = default;
            Vector128<float> o10 = default, o11 = default, o12 = default, o13 = default;
            Vector128<float> o20 = default, o21 = default, o22 = default, o23 = default;
            Vector128<float> o30 = default, o31 = default, o32 = default, o33 = default;
            for (int p = 0; p < n; p++)
            {
                TRow.Load4(values + (p * rb), hb, out Vector128<float> v0, out Vector128<float> v1, out Vector128<float> v2, out Vector128<float> v3);
                Axpy4(sc[p], v0, v1, v2, v3, ref o00, ref o01, ref o02, ref o03);
                if (TH.N > 1)
                {
                    Axpy4(sc[scStride + p], v0, v1, v2, v3, ref o10, ref o11, ref o12, ref o13);
                }

                if (TH.N > 2)
                {
                    Axpy4(sc[(2 * scStride) + p], v0, v1, v2, v3, ref o20, ref o21, ref o22, ref o23);
                }

                if (TH.N > 3)
                {
                    Axpy4(sc[(3 * scStride) + p], v0, v1, v2, v3, ref o30, ref o31, ref o32, ref o33);
                }
            }

            Store4(o + (hb * 16), o00, o01, o02, o03);
            if (TH.N > 1)
            {
                Store4(o + hd + (hb * 16), o10, o11, o12, o13);
            }

            if (TH.N > 2)
            {
                Store4(o + (2 * hd) + (hb * 16), o20, o21, o22, o23);
            }

            if (TH.N > 3)
            {
                Store4(o + (3 * hd) + (hb * 16), o30, o31, o32, o33);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fma4(float* q, Vector128<float> k0, Vector128<float> k1, Vector128<float> k2, Vector128<float> k3, ref Vector128<float> acc0, ref Vector128<float> acc1)
    {
        acc0 = Vector128.FusedMultiplyAdd(Vector128.Load(q), k0, acc0);
        acc1 = Vector128.FusedMultiplyAdd(Vector128.Load(q + 4), k1, acc1);
        acc0 = Vector128.FusedMultiplyAdd(Vector128.Load(q + 8), k2, acc0);
        acc1 = Vector128.FusedMultiplyAdd(Vector128.Load(q + 12), k3, acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy4(float s, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3, ref Vector128<float> o0, ref Vector128<float> o1, ref Vector128<float> o2, ref Vector128<float> o3)
    {
        Vector128<float> f = Vector128.Create(s);
        o0 = Vector128.FusedMultiplyAdd(v0, f, o0);
        o1 = Vector128.FusedMultiplyAdd(v1, f, o1);
        o2 = Vector128.FusedMultiplyAdd(v2, f, o2);
        o3 = Vector128.FusedMultiplyAdd(v3, f, o3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* o, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
    {
        v0.Store(o);
        v1.Store(o + 4);
        v2.Store(o + 8);
        v3.Store(o + 12);
    }
}
