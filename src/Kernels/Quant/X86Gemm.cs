using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// x86 matrix × matrix kernels for prefill: tiles of 4 weight rows × 4 tokens. Each weight block is loaded once per
/// tile and its unsigned form (|w| for Q8_0, the unpacked nibbles for Q4_0) made once for four tokens; the 4 rows
/// of a tile (≤ 6.5 KB) stay in L1 while the token groups walk over them, so a weight byte comes from memory once
/// per batch instead of once per token. Per (row, token) the float sequence is the reference's
/// acc += (float)sum * (d_w * d_x) in block order, so every output equals the single-token kernels' bit for bit.
/// The next tile is prefetched while the first token group runs.
/// </summary>
internal static unsafe class X86Gemm
{
    public static void Q8_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IX86Dot
    {
        long rb = a.RowBytes;
        int tokens = a.Tokens;
        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            byte* p = a.W + (rb * r);
            byte* next = r + 8 <= r1 ? p + (4 * rb) : null;
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
            {
                Q8Tile4x4<TDot>(a, p, rb, r, t, t == 0 ? next : null);
            }

            for (; t < tokens; t++)
            {
                X86Kernels.Q8_0<TDot, NoSink>(a.ForToken(t), r, r + 4, default);
            }
        }

        for (int t = 0; r < r1 && t < tokens; t++)
        {
            X86Kernels.Q8_0<TDot, NoSink>(a.ForToken(t), r, r1, default);
        }
    }

    public static void Q4_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IX86Dot
    {
        long rb = a.RowBytes;
        int tokens = a.Tokens;
        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            byte* p = a.W + (rb * r);
            byte* next = r + 8 <= r1 ? p + (4 * rb) : null;
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
            {
                Q4Tile4x4<TDot>(a, p, rb, r, t, t == 0 ? next : null);
            }

            for (; t < tokens; t++)
            {
                X86Kernels.Q4_0<TDot, NoSink>(a.ForToken(t), r, r + 4, default);
            }
        }

        for (int t = 0; r < r1 && t < tokens; t++)
        {
            X86Kernels.Q4_0<TDot, NoSink>(a.ForToken(t), r, r1, default);
        }
    }

    private static void Q8Tile4x4<TDot>(in MatVecArgs a, byte* p0, long rb, int r, int t, byte* prefetch)
        where TDot : struct, IX86Dot
    {
        byte* p1 = p0 + rb, p2 = p1 + rb, p3 = p2 + rb;
        int nb = a.Blocks;
        sbyte* x0 = a.Xq + ((long)t * a.XStride);
        float* d0 = a.Xd + ((long)t * a.XBlockStride);
        int xs = a.XStride, ds = a.XBlockStride;
        Vector128<float> acc0 = Vector128<float>.Zero, acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < nb; b++)
        {
            if (prefetch != null)
            {
                Sse.Prefetch0(prefetch);
                Sse.Prefetch0(prefetch + 64);
                Sse.Prefetch0(prefetch + 128);
                prefetch += 4 * 34;
            }

            Vector256<sbyte> w0 = Avx.LoadVector256((sbyte*)(p0 + 2));
            Vector256<sbyte> w1 = Avx.LoadVector256((sbyte*)(p1 + 2));
            Vector256<sbyte> w2 = Avx.LoadVector256((sbyte*)(p2 + 2));
            Vector256<sbyte> w3 = Avx.LoadVector256((sbyte*)(p3 + 2));
            Vector256<byte> u0 = Avx2.Abs(w0), u1 = Avx2.Abs(w1), u2 = Avx2.Abs(w2), u3 = Avx2.Abs(w3);
            Vector128<float> dw = Vector128.Create(
                Fp16.Table[*(ushort*)p0], Fp16.Table[*(ushort*)p1], Fp16.Table[*(ushort*)p2], Fp16.Table[*(ushort*)p3]);
            sbyte* xb = x0 + (b * 32);
            float* db = d0 + b;

            Vector256<sbyte> x = Avx.LoadAlignedVector256(xb);
            acc0 += Vector128.ConvertToSingle(Sums4<TDot>(u0, u1, u2, u3, w0, w1, w2, w3, x)) * (dw * Vector128.Create(db[0]));
            x = Avx.LoadAlignedVector256(xb + xs);
            acc1 += Vector128.ConvertToSingle(Sums4<TDot>(u0, u1, u2, u3, w0, w1, w2, w3, x)) * (dw * Vector128.Create(db[ds]));
            x = Avx.LoadAlignedVector256(xb + (2 * xs));
            acc2 += Vector128.ConvertToSingle(Sums4<TDot>(u0, u1, u2, u3, w0, w1, w2, w3, x)) * (dw * Vector128.Create(db[2 * ds]));
            x = Avx.LoadAlignedVector256(xb + (3 * xs));
            acc3 += Vector128.ConvertToSingle(Sums4<TDot>(u0, u1, u2, u3, w0, w1, w2, w3, x)) * (dw * Vector128.Create(db[3 * ds]));
            p0 += 34;
            p1 += 34;
            p2 += 34;
            p3 += 34;
        }

        float* y = a.Y + ((long)t * a.YStride) + r;
        acc0.Store(y);
        acc1.Store(y + a.YStride);
        acc2.Store(y + (2 * a.YStride));
        acc3.Store(y + (3 * a.YStride));
    }

    private static void Q4Tile4x4<TDot>(in MatVecArgs a, byte* p0, long rb, int r, int t, byte* prefetch)
        where TDot : struct, IX86Dot
    {
        byte* p1 = p0 + rb, p2 = p1 + rb, p3 = p2 + rb;
        int nb = a.Blocks;
        sbyte* x0 = a.Xq + ((long)t * a.XStride);
        float* d0 = a.Xd + ((long)t * a.XBlockStride);
        int* s0 = a.Xs + ((long)t * a.XBlockStride);
        int xs = a.XStride, ds = a.XBlockStride;
        Vector128<float> acc0 = Vector128<float>.Zero, acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < nb; b++)
        {
            if (prefetch != null)
            {
                Sse.Prefetch0(prefetch);
                Sse.Prefetch0(prefetch + 64);
                prefetch += 4 * 18;
            }

            Vector256<byte> u0 = Nibbles(p0), u1 = Nibbles(p1), u2 = Nibbles(p2), u3 = Nibbles(p3);
            Vector128<float> dw = Vector128.Create(
                Fp16.Table[*(ushort*)p0], Fp16.Table[*(ushort*)p1], Fp16.Table[*(ushort*)p2], Fp16.Table[*(ushort*)p3]);
            sbyte* xb = x0 + (b * 32);
            float* db = d0 + b;
            int* sb = s0 + b;

            Vector256<sbyte> x = Avx.LoadAlignedVector256(xb);
            Vector128<int> s = Reduce4(TDot.Dot(u0, x), TDot.Dot(u1, x), TDot.Dot(u2, x), TDot.Dot(u3, x)) - Vector128.Create(sb[0] << 3);
            acc0 += Vector128.ConvertToSingle(s) * (dw * Vector128.Create(db[0]));
            x = Avx.LoadAlignedVector256(xb + xs);
            s = Reduce4(TDot.Dot(u0, x), TDot.Dot(u1, x), TDot.Dot(u2, x), TDot.Dot(u3, x)) - Vector128.Create(sb[ds] << 3);
            acc1 += Vector128.ConvertToSingle(s) * (dw * Vector128.Create(db[ds]));
            x = Avx.LoadAlignedVector256(xb + (2 * xs));
            s = Reduce4(TDot.Dot(u0, x), TDot.Dot(u1, x), TDot.Dot(u2, x), TDot.Dot(u3, x)) - Vector128.Create(sb[2 * ds] << 3);
            acc2 += Vector128.ConvertToSingle(s) * (dw * Vector128.Create(db[2 * ds]));
            x = Avx.LoadAlignedVector256(xb + (3 * xs));
            s = Reduce4(TDot.Dot(u0, x), TDot.Dot(u1, x), TDot.Dot(u2, x), TDot.Dot(u3, x)) - Vector128.Create(sb[3 * ds] << 3);
            acc3 += Vector128.ConvertToSingle(s) * (dw * Vector128.Create(db[3 * ds]));
            p0 += 18;
            p1 += 18;
            p2 += 18;
            p3 += 18;
        }

        float* y = a.Y + ((long)t * a.YStride) + r;
        acc0.Store(y);
        acc1.Store(y + a.YStride);
        acc2.Store(y + (2 * a.YStride));
        acc3.Store(y + (3 * a.YStride));
    }

    /// <summary>Block sums of four rows with one token: |w| × sign(x, w) (exact for w = −128, as in the matvec).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Sums4<TDot>(
        Vector256<byte> u0, Vector256<byte> u1, Vector256<byte> u2, Vector256<byte> u3,
        Vector256<sbyte> w0, Vector256<sbyte> w1, Vector256<sbyte> w2, Vector256<sbyte> w3, Vector256<sbyte> x)
        where TDot : struct, IX86Dot =>
        Reduce4(TDot.Dot(u0, Avx2.Sign(x, w0)), TDot.Dot(u1, Avx2.Sign(x, w1)), TDot.Dot(u2, Avx2.Sign(x, w2)), TDot.Dot(u3, Avx2.Sign(x, w3)));

    /// <summary>The 32 nibbles of a Q4_0 block as bytes 0..15: low nibbles (elements 0–15), then high (16–31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    /// <remarks>
    /// Three instructions: the 16 bytes broadcast to both lanes by the load, the upper lane shifted right by 4 (a
    /// per-lane variable shift), one mask.
    /// </remarks>
    internal static Vector256<byte> Nibbles(byte* p)
    {
        Vector256<uint> q = Avx2.BroadcastVector128ToVector256((uint*)(p + 2));
        Vector256<uint> shifted = Avx2.ShiftRightLogicalVariable(q, Vector256.Create(0u, 0, 0, 0, 4, 4, 4, 4));
        return Avx2.And(shifted.AsByte(), Vector256.Create((byte)0x0F));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Reduce4(Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, Vector256<int> s3)
    {
        Vector256<int> h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(s0, s1), Avx2.HorizontalAdd(s2, s3));
        return Sse2.Add(h.GetLower(), h.GetUpper());
    }
}
