using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// x86 matrix × vector kernels. Several rows per step share one activation load — Q8_0 four (eight interleaved row
/// streams measured 25 % slower from memory), Q4_0 eight (then four, then one, for the rows left over) — with software
/// prefetch about 8 KB ahead in the order the rows are walked (docs/architecture.md, "Kernel table and paths"). Each row's block sum is an exact int32; the
/// sums of a block are reduced into one vector (lane = row) and the scalar reference's float sequence
/// acc += (float)sum * (d_w * d_x) runs for all rows of the step at once.
/// Q8_0 signs: |w| × sign(x, w). Unlike |x| × sign(w, x) this is exact for a weight byte of −128 (|−128| = 128 as an
/// unsigned byte; pair sums stay ≤ 2·128·127 &lt; 32767); activations never hold −128.
/// Q4_0's eight-row step reads its eight f16 scales through <c>TScales</c>: the table, or converted in SIMD lanes when
/// the weights stream from memory (both exact, so the results are the same bits; <see cref="IX86Scales"/>).
/// Q4_0: nibble (0..15) × x, minus 8·Σx of the block (precomputed by <see cref="Q8Activations"/>), the same integer as
/// Σ(nibble − 8)·x. Two rows are unpacked per instruction: row i's 16 bytes in the low lane and row i+4's in the high
/// lane, masked for the low nibbles (elements 0–15) and shifted for the high ones (16–31), multiplied with the
/// activations' two halves broadcast to both lanes; the two int16 products add without overflow (2·2·15·127).
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
        sbyte* xq = a.Xq;
        float* xd = a.Xd, y = a.Y, f16 = Fp16.Table;
        byte* end = a.W + (rb * r1);
        int dist = PrefetchDistance;
        WarmUp(a.W + (rb * r0), end, dist);

        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            byte* p = a.W + (rb * r);
            byte* pf = p + dist;
            Vector128<float> acc = Vector128<float>.Zero;
            for (int b = 0; b < nb; b++, p += 34)
            {
                if (pf < end)
                {
                    Sse.Prefetch0(pf);
                    Sse.Prefetch0(pf + 64);
                    Sse.Prefetch0(pf + 128);
                }

                pf += 4 * 34;
                Vector256<sbyte> x = Avx.LoadAlignedVector256(xq + (b * 32));
                Vector128<int> s = Reduce4(DotQ8<TDot>(p, x), DotQ8<TDot>(p + rb, x), DotQ8<TDot>(p + (2 * rb), x), DotQ8<TDot>(p + (3 * rb), x));
                sink.Put4(r, b, s);
                acc += Vector128.ConvertToSingle(s) * (Scales4(f16, p, rb) * Vector128.Create(xd[b]));
            }

            acc.Store(y + r);
        }

        for (; r < r1; r++)
        {
            byte* p = a.W + (rb * r);
            float acc = 0f;
            for (int b = 0; b < nb; b++, p += 34)
            {
                int sum = Vector256.Sum(DotQ8<TDot>(p, Avx.LoadAlignedVector256(xq + (b * 32))));
                sink.Put1(r, b, sum);
                acc += sum * (f16[*(ushort*)p] * xd[b]);
            }

            y[r] = acc;
        }
    }

    public static void Q4_0<TDot, TSink, TScales>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IX86Dot
        where TSink : struct, IBlockSink
        where TScales : struct, IX86Scales
    {
        long rb = a.RowBytes;
        int nb = a.Blocks;
        sbyte* xq = a.Xq;
        int* xs = a.Xs;
        float* xd = a.Xd, y = a.Y, f16 = Fp16.Table;
        byte* end = a.W + (rb * r1);
        int dist = PrefetchDistance;
        WarmUp(a.W + (rb * r0), end, dist);
        Vector256<byte> mask = Vector256.Create((byte)0x0F);

        int r = r0;
        for (; r + 8 <= r1; r += 8)
        {
            byte* p = a.W + (rb * r);
            byte* q = p + (4 * rb); // rows r+4 .. r+7, the high lanes
            byte* pf = p + dist;
            Vector256<float> acc = Vector256<float>.Zero;
            for (int b = 0; b < nb; b++)
            {
                if (pf < end)
                {
                    Sse.Prefetch0(pf);
                    Sse.Prefetch0(pf + 64);
                    Sse.Prefetch0(pf + 128);
                }

                pf += 8 * 18;
                sbyte* xb = xq + (b * 32);
                Vector256<sbyte> lo = Avx2.BroadcastVector128ToVector256(xb);        // x[0..15] in both lanes
                Vector256<sbyte> hi = Avx2.BroadcastVector128ToVector256(xb + 16);   // x[16..31] in both lanes
                Vector256<int> s04 = DotQ4Pair<TDot>(p, q, lo, hi, mask);
                Vector256<int> s15 = DotQ4Pair<TDot>(p + rb, q + rb, lo, hi, mask);
                Vector256<int> s26 = DotQ4Pair<TDot>(p + (2 * rb), q + (2 * rb), lo, hi, mask);
                Vector256<int> s37 = DotQ4Pair<TDot>(p + (3 * rb), q + (3 * rb), lo, hi, mask);

                // [r0 r1 r2 r3 | r4 r5 r6 r7] from four lanes per row
                Vector256<int> s = Avx2.HorizontalAdd(Avx2.HorizontalAdd(s04, s15), Avx2.HorizontalAdd(s26, s37))
                    - Vector256.Create(xs[b] << 3);
                sink.Put4(r, b, s.GetLower());
                sink.Put4(r + 4, b, s.GetUpper());
                acc += Vector256.ConvertToSingle(s) * (TScales.Load8(p, q, rb) * Vector256.Create(xd[b]));
                p += 18;
                q += 18;
            }

            acc.Store(y + r);
        }

        for (; r + 4 <= r1; r += 4)
        {
            byte* p = a.W + (rb * r);
            byte* pf = p + dist;
            Vector128<float> acc = Vector128<float>.Zero;
            for (int b = 0; b < nb; b++, p += 18)
            {
                if (pf < end)
                {
                    Sse.Prefetch0(pf);
                    Sse.Prefetch0(pf + 64);
                }

                pf += 4 * 18;
                sbyte* xb = xq + (b * 32);
                Vector256<sbyte> lo = Avx2.BroadcastVector128ToVector256(xb);        // x[0..15] in both lanes
                Vector256<sbyte> hi = Avx2.BroadcastVector128ToVector256(xb + 16);   // x[16..31] in both lanes
                Vector256<int> s02 = DotQ4Pair<TDot>(p, p + (2 * rb), lo, hi, mask);
                Vector256<int> s13 = DotQ4Pair<TDot>(p + rb, p + (3 * rb), lo, hi, mask);

                // [r0 r0 r1 r1 | r2 r2 r3 r3] → [r0 r1 r0 r1 | r2 r3 r2 r3] → [r0 r1 r2 r3]
                Vector256<int> h = Avx2.HorizontalAdd(s02, s13);
                h = Avx2.HorizontalAdd(h, h);
                Vector128<int> s = Avx2.Permute4x64(h.AsInt64(), 0b_00_00_10_00).AsInt32().GetLower() - Vector128.Create(xs[b] << 3);
                sink.Put4(r, b, s);
                acc += Vector128.ConvertToSingle(s) * (Scales4(f16, p, rb) * Vector128.Create(xd[b]));
            }

            acc.Store(y + r);
        }

        for (; r < r1; r++)
        {
            byte* p = a.W + (rb * r);
            float acc = 0f;
            for (int b = 0; b < nb; b++, p += 18)
            {
                int sum = Vector256.Sum(DotQ4<TDot>(p, Avx.LoadAlignedVector256(xq + (b * 32)))) - (xs[b] << 3);
                sink.Put1(r, b, sum);
                acc += sum * (f16[*(ushort*)p] * xd[b]);
            }

            y[r] = acc;
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

    /// <summary>
    /// Σ nibble·x of the Q4_0 blocks at <paramref name="p"/> (low lane) and <paramref name="q"/> (high lane) as four
    /// int32 partial sums per row; <paramref name="lo"/>/<paramref name="hi"/> hold x[0..15]/x[16..31] in both lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotQ4Pair<TDot>(byte* p, byte* q, Vector256<sbyte> lo, Vector256<sbyte> hi, Vector256<byte> mask)
        where TDot : struct, IX86Dot
    {
        Vector256<byte> w = Vector256.Create(Vector128.Load(p + 2), Vector128.Load(q + 2));
        Vector256<byte> wl = Avx2.And(w, mask);
        Vector256<byte> wh = Avx2.And(Avx2.ShiftRightLogical(w.AsUInt16(), 4).AsByte(), mask);
        return TDot.Dot2(wl, lo, wh, hi);
    }

    /// <summary>The f16 scales of rows p, p+rb, p+2rb, p+3rb as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Scales4(float* f16, byte* p, long rb) => Vector128.Create(
        f16[*(ushort*)p], f16[*(ushort*)(p + rb)], f16[*(ushort*)(p + (2 * rb))], f16[*(ushort*)(p + (3 * rb))]);

    /// <summary>[Σ s0, Σ s1, Σ s2, Σ s3] (integer adds: any order gives the same result).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Reduce4(Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, Vector256<int> s3)
    {
        Vector256<int> h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(s0, s1), Avx2.HorizontalAdd(s2, s3));
        return Sse2.Add(h.GetLower(), h.GetUpper());
    }

    /// <summary>Prefetches the first <paramref name="dist"/> bytes of a chunk (the steady-state prefetch starts there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void WarmUp(byte* start, byte* end, int dist)
    {
        byte* stop = start + dist < end ? start + dist : end;
        for (byte* p = start; p < stop; p += 64)
        {
            Sse.Prefetch0(p);
        }
    }
}
