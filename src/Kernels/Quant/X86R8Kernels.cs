using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// x86 matrix × vector kernels for the row-interleaved types (docs/interleaved.md): one group of eight rows per step,
/// row k in 32-bit lane k. Each 32-byte unit of the group holds four consecutive elements of all eight rows, so one
/// load, the activations' four bytes broadcast, and one <typeparamref name="TDot"/> leave every row's partial sum in
/// its lane; after a block's units each lane is that row's exact int32 block sum, with no horizontal reduction. The
/// block's eight f16 scales are one 16-byte load converted in SIMD lanes (<see cref="X86Fp16"/>, bit for bit the
/// table). The float sequence per row is the reference's acc += (float)sum · (d_w · d_x), so the outputs are the bits
/// of <see cref="ScalarKernels.Q8_0R8{TSink}"/> and of the plain layout's kernels. Rows of a range that only partly
/// cover a group run the scalar reference.
/// </summary>
/// <remarks>
/// Why: over 350 MB of weights streaming from memory (Zen 4, one thread, prototype A/B in one process, medians of 20)
/// the plain Q8_0 kernel read 14–15 GB/s against a 24 GB/s streaming read of the same buffer; this kernel 23 GB/s
/// (95 %). Prefetch 4 KB ahead measured best here (2 KB the same, 8 KB −10 %).
/// </remarks>
internal static unsafe class X86R8Kernels
{
    /// <summary>Software prefetch distance in bytes.</summary>
    internal static int PrefetchDistance = 4096;

    public static void Q8_0<TDot, TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IX86Dot
        where TSink : struct, IBlockSink
    {
        int g0 = (r0 + 7) & ~7, g1 = r1 & ~7;
        if (g0 >= g1)
        {
            ScalarKernels.Q8_0R8(a, r0, r1, sink);
            return;
        }

        ScalarKernels.Q8_0R8(a, r0, g0, sink);
        int nb = a.Blocks;
        int* xq = (int*)a.Xq;
        float* xd = a.Xd;
        byte* end = a.W + (a.RowBytes * g1);
        int dist = PrefetchDistance;
        X86Kernels.WarmUp(a.W + (a.RowBytes * g0), end, dist);
        for (int r = g0; r < g1; r += 8)
        {
            byte* p = a.W + (a.RowBytes * r);
            Vector256<float> acc = Vector256<float>.Zero;
            for (int b = 0; b < nb; b++, p += 272)
            {
                byte* pf = p + dist;
                if (pf < end)
                {
                    Sse.Prefetch0(pf);
                    Sse.Prefetch0(pf + 64);
                    Sse.Prefetch0(pf + 128);
                    Sse.Prefetch0(pf + 192);
                    Sse.Prefetch0(pf + 256);
                }

                int* x = xq + (b * 8); // the block's 32 activations as eight 4-byte units
                Vector256<int> s0 = Unit<TDot>(p + 16, x[0]) + Unit<TDot>(p + 48, x[1]);
                Vector256<int> s1 = Unit<TDot>(p + 80, x[2]) + Unit<TDot>(p + 112, x[3]);
                s0 += Unit<TDot>(p + 144, x[4]) + Unit<TDot>(p + 176, x[5]);
                s1 += Unit<TDot>(p + 208, x[6]) + Unit<TDot>(p + 240, x[7]);
                Vector256<int> s = s0 + s1;
                sink.Put4(r, b, s.GetLower());
                sink.Put4(r + 4, b, s.GetUpper());
                acc += Vector256.ConvertToSingle(s) * (Scales(p) * Vector256.Create(xd[b]));
            }

            acc.Store(a.Y + r);
        }

        ScalarKernels.Q8_0R8(a, g1, r1, sink);
    }

    public static void Q4_0<TDot, TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IX86Dot
        where TSink : struct, IBlockSink
    {
        int g0 = (r0 + 7) & ~7, g1 = r1 & ~7;
        if (g0 >= g1)
        {
            ScalarKernels.Q4_0R8(a, r0, r1, sink);
            return;
        }

        ScalarKernels.Q4_0R8(a, r0, g0, sink);
        int nb = a.Blocks;
        int* xq = (int*)a.Xq;
        int* xs = a.Xs;
        float* xd = a.Xd;
        byte* end = a.W + (a.RowBytes * g1);
        int dist = PrefetchDistance;
        X86Kernels.WarmUp(a.W + (a.RowBytes * g0), end, dist);
        Vector256<byte> mask = Vector256.Create((byte)0x0F);
        for (int r = g0; r < g1; r += 8)
        {
            byte* p = a.W + (a.RowBytes * r);
            Vector256<float> acc = Vector256<float>.Zero;
            for (int b = 0; b < nb; b++, p += 144)
            {
                byte* pf = p + dist;
                if (pf < end)
                {
                    Sse.Prefetch0(pf);
                    Sse.Prefetch0(pf + 64);
                    Sse.Prefetch0(pf + 128);
                }

                // Unit m's low nibbles are elements 4m..4m+3 of the eight rows, its high nibbles 16+4m..16+4m+3.
                int* x = xq + (b * 8);
                Vector256<int> s0 = Nibbles<TDot>(p + 16, x[0], x[4], mask) + Nibbles<TDot>(p + 48, x[1], x[5], mask);
                Vector256<int> s1 = Nibbles<TDot>(p + 80, x[2], x[6], mask) + Nibbles<TDot>(p + 112, x[3], x[7], mask);
                Vector256<int> s = s0 + s1 - Vector256.Create(xs[b] << 3);
                sink.Put4(r, b, s.GetLower());
                sink.Put4(r + 4, b, s.GetUpper());
                acc += Vector256.ConvertToSingle(s) * (Scales(p) * Vector256.Create(xd[b]));
            }

            acc.Store(a.Y + r);
        }

        ScalarKernels.Q4_0R8(a, g1, r1, sink);
    }

    /// <summary>One Q8_0 unit (four elements of eight rows) times the same four activations: |w| × sign(x, w).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Unit<TDot>(byte* p, int x4)
        where TDot : struct, IX86Dot
    {
        Vector256<sbyte> w = Avx.LoadVector256((sbyte*)p);
        return TDot.Dot(Avx2.Abs(w), Avx2.Sign(Vector256.Create(x4).AsSByte(), w));
    }

    /// <summary>One Q4_0 unit: low nibbles × the four activations <paramref name="lo"/>, high nibbles × <paramref name="hi"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Nibbles<TDot>(byte* p, int lo, int hi, Vector256<byte> mask)
        where TDot : struct, IX86Dot
    {
        Vector256<byte> q = Avx.LoadVector256(p);
        return TDot.Dot2(
            q & mask, Vector256.Create(lo).AsSByte(),
            Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask, Vector256.Create(hi).AsSByte());
    }

    /// <summary>The group block's eight f16 scales as floats, lane k = row k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Scales(byte* p) => X86Fp16.ToSingle(Avx2.ConvertToVector256Int32((ushort*)p));
}
