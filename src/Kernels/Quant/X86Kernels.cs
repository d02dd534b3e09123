using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>unsigned × signed int8 dot of 32 bytes into 8 int32 lanes (exact for the operand ranges used here).</summary>
internal interface IX86Dot
{
    static abstract Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> s);
}

/// <summary>AVX2: vpmaddubsw (pairs to int16) then vpmaddwd with ones (to int32).</summary>
internal struct Avx2Dot : IX86Dot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> s) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1));
}

/// <summary>AVX-VNNI: vpdpbusd (groups of four straight into int32, no intermediate saturation).</summary>
internal struct VnniDot : IX86Dot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> s) =>
        AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, s);
}

/// <summary>
/// x86 kernels: four rows per step sharing one activation load, software prefetch about 8 KB ahead in the order the
/// tile walks memory (DESIGN §6), per-block int32 sums reduced to one lane per row, then the scalar reference's
/// float sequence acc += (float)sum * (d_w * d_x) done four rows at a time in one Vector128 (lane = row).
/// Q8_0 signs: |w| × sign(x, w). Unlike |x| × sign(w, x) this is exact for a weight byte of −128 (|−128| = 128 as an
/// unsigned byte; pair sums stay ≤ 2·128·127 &lt; 32767); activations never hold −128.
/// Q4_0: nibble (0..15) × x, minus 8·Σx of the block (precomputed by <see cref="Q8Activations"/>), which is the same
/// integer as Σ(nibble − 8)·x.
/// </summary>
internal static unsafe class X86Kernels
{
    /// <summary>Software prefetch distance in bytes (8 KB measured best; 4 KB too short, 16 KB worse).</summary>
    internal static int PrefetchDistance = 8192;

    public static void Q8_0<TDot, TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IX86Dot
        where TSink : struct, IBlockSink
    {
        long rb = a.RowBytes;
        int nb = a.Blocks;
        byte* end = a.W + (rb * r1);
        int dist = PrefetchDistance;
        WarmUp(a.W + (rb * r0), end, dist);

        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            byte* p0 = a.W + (rb * r);
            byte* p1 = p0 + rb;
            byte* p2 = p1 + rb;
            byte* p3 = p2 + rb;
            byte* pf = p0 + dist;
            Vector128<float> acc = Vector128<float>.Zero;
            for (int b = 0; b < nb; b++)
            {
                if (pf < end)
                {
                    Sse.Prefetch0(pf);
                    Sse.Prefetch0(pf + 64);
                    Sse.Prefetch0(pf + 128);
                }

                pf += 4 * 34;
                Vector256<sbyte> x = Avx.LoadAlignedVector256(a.Xq + (b * 32));
                Vector256<int> s0 = DotQ8<TDot>(p0, x);
                Vector256<int> s1 = DotQ8<TDot>(p1, x);
                Vector256<int> s2 = DotQ8<TDot>(p2, x);
                Vector256<int> s3 = DotQ8<TDot>(p3, x);
                Vector128<int> s = Reduce4(s0, s1, s2, s3);
                sink.Put4(r, b, s);
                Vector128<float> dw = Vector128.Create(
                    Fp16.Table[*(ushort*)p0], Fp16.Table[*(ushort*)p1], Fp16.Table[*(ushort*)p2], Fp16.Table[*(ushort*)p3]);
                acc += Vector128.ConvertToSingle(s) * (dw * Vector128.Create(a.Xd[b]));
                p0 += 34;
                p1 += 34;
                p2 += 34;
                p3 += 34;
            }

            acc.Store(a.Y + r);
        }

        for (; r < r1; r++)
        {
            byte* p = a.W + (rb * r);
            float acc = 0f;
            for (int b = 0; b < nb; b++, p += 34)
            {
                int sum = Vector256.Sum(DotQ8<TDot>(p, Avx.LoadAlignedVector256(a.Xq + (b * 32))));
                sink.Put1(r, b, sum);
                acc += sum * (Fp16.Table[*(ushort*)p] * a.Xd[b]);
            }

            a.Y[r] = acc;
        }
    }

    public static void Q4_0<TDot, TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IX86Dot
        where TSink : struct, IBlockSink
    {
        long rb = a.RowBytes;
        int nb = a.Blocks;
        byte* end = a.W + (rb * r1);
        int dist = PrefetchDistance;
        WarmUp(a.W + (rb * r0), end, dist);

        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            byte* p0 = a.W + (rb * r);
            byte* p1 = p0 + rb;
            byte* p2 = p1 + rb;
            byte* p3 = p2 + rb;
            byte* pf = p0 + dist;
            Vector128<float> acc = Vector128<float>.Zero;
            for (int b = 0; b < nb; b++)
            {
                if (pf < end)
                {
                    Sse.Prefetch0(pf);
                    Sse.Prefetch0(pf + 64);
                }

                pf += 4 * 18;
                Vector256<sbyte> x = Avx.LoadAlignedVector256(a.Xq + (b * 32));
                Vector256<int> s0 = DotQ4<TDot>(p0, x);
                Vector256<int> s1 = DotQ4<TDot>(p1, x);
                Vector256<int> s2 = DotQ4<TDot>(p2, x);
                Vector256<int> s3 = DotQ4<TDot>(p3, x);
                Vector128<int> s = Reduce4(s0, s1, s2, s3) - Vector128.Create(a.Xs[b] << 3);
                sink.Put4(r, b, s);
                Vector128<float> dw = Vector128.Create(
                    Fp16.Table[*(ushort*)p0], Fp16.Table[*(ushort*)p1], Fp16.Table[*(ushort*)p2], Fp16.Table[*(ushort*)p3]);
                acc += Vector128.ConvertToSingle(s) * (dw * Vector128.Create(a.Xd[b]));
                p0 += 18;
                p1 += 18;
                p2 += 18;
                p3 += 18;
            }

            acc.Store(a.Y + r);
        }

        for (; r < r1; r++)
        {
            byte* p = a.W + (rb * r);
            float acc = 0f;
            for (int b = 0; b < nb; b++, p += 18)
            {
                int sum = Vector256.Sum(DotQ4<TDot>(p, Avx.LoadAlignedVector256(a.Xq + (b * 32)))) - (a.Xs[b] << 3);
                sink.Put1(r, b, sum);
                acc += sum * (Fp16.Table[*(ushort*)p] * a.Xd[b]);
            }

            a.Y[r] = acc;
        }
    }

    /// <summary>Dot of one Q8_0 block at <paramref name="p"/> with x: |w| × sign(x, w).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotQ8<TDot>(byte* p, Vector256<sbyte> x)
        where TDot : struct, IX86Dot
    {
        Vector256<sbyte> w = Avx.LoadVector256((sbyte*)(p + 2));
        return TDot.Dot(Avx2.Abs(w), Avx2.Sign(x, w));
    }

    /// <summary>Σ nibble·x of one Q4_0 block at <paramref name="p"/> (without the −8 offset).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotQ4<TDot>(byte* p, Vector256<sbyte> x)
        where TDot : struct, IX86Dot
    {
        return TDot.Dot(X86Gemm.Nibbles(p), x);
    }

    /// <summary>[Σ s0, Σ s1, Σ s2, Σ s3] (integer adds: any order gives the same result).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Reduce4(Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, Vector256<int> s3)
    {
        Vector256<int> h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(s0, s1), Avx2.HorizontalAdd(s2, s3));
        return Sse2.Add(h.GetLower(), h.GetUpper());
    }

    /// <summary>Prefetches the first <paramref name="dist"/> bytes of a chunk (the steady-state prefetch starts there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WarmUp(byte* start, byte* end, int dist)
    {
        byte* stop = start + dist < end ? start + dist : end;
        for (byte* p = start; p < stop; p += 64)
        {
            Sse.Prefetch0(p);
        }
    }
}
