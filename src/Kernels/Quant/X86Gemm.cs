using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// x86 matrix × matrix kernels for prefill, eight weight rows at a time. A tile's weight blocks are read from memory
/// once and unpacked once into a small stack buffer in the form the dot instruction wants (Q4_0: the nibbles of two
/// rows per vector, row i in the low lane and row i+4 in the high lane; Q8_0: widened to int16 for vpmaddwd) together
/// with the eight rows' scales;
/// then every token of the batch streams its activations past that buffer, which stays in L1/L2. Per (row, token) the
/// float sequence is the reference's acc += (float)sum * (d_w * d_x) in block order, so every output equals the
/// single-token kernels' bit for bit. Rows left over (fewer than eight) run the matrix × vector kernel per token.
/// </summary>
internal static unsafe class X86Gemm
{
    /// <summary>Largest row (in blocks) the stack buffers are sized for; wider matrices run token by token.</summary>
    internal const int MaxBlocks = 256;

    public static void Q8_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IX86Dot
    {
        int nb = a.Blocks;
        int r = r0;
        if (nb <= MaxBlocks)
        {
            byte* raw = stackalloc byte[(nb * 8 * 64) + (nb * 8 * sizeof(float)) + 32];
            byte* u = (byte*)(((nuint)raw + 31) & ~(nuint)31);
            float* dw = (float*)(u + (nb * 8 * 64));
            for (; r + 8 <= r1; r += 8)
            {
                UnpackQ8(a, r, u, dw);
                var next = new TilePrefetch(a, r + 8, r1, a.Tokens / 2);
                int t = 0;
                for (; t + 2 <= a.Tokens; t += 2)
                {
                    Q8Rows8x2(a, r, t, u, dw);
                    next.Step();
                }

                if (t < a.Tokens)
                {
                    Q8Rows8(a, r, t, u, dw);
                }
            }
        }

        for (int t = 0; r < r1 && t < a.Tokens; t++)
        {
            X86Kernels.Q8_0<TDot, NoSink>(a.ForToken(t), r, r1, default);
        }
    }

    public static void Q4_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IX86Dot
    {
        int nb = a.Blocks;
        int r = r0;
        if (nb <= MaxBlocks)
        {
            byte* raw = stackalloc byte[(nb * 8 * 32) + (nb * 8 * sizeof(float)) + 32];
            byte* u = (byte*)(((nuint)raw + 31) & ~(nuint)31);
            float* dw = (float*)(u + (nb * 8 * 32));
            for (; r + 8 <= r1; r += 8)
            {
                UnpackQ4(a, r, u, dw);
                var next = new TilePrefetch(a, r + 8, r1, a.Tokens);
                for (int t = 0; t < a.Tokens; t++)
                {
                    Q4Rows8<TDot>(a, r, t, u, dw);
                    next.Step();
                }
            }
        }

        for (int t = 0; r < r1 && t < a.Tokens; t++)
        {
            X86Kernels.Q4_0<TDot, NoSink>(a.ForToken(t), r, r1, default);
        }
    }

    /// <summary>
    /// Prefetches the next tile's eight rows a few cache lines per token while the current tile is multiplied, so the
    /// unpacking of the next tile finds its weights in cache instead of waiting on memory.
    /// </summary>
    private struct TilePrefetch
    {
        private byte* _p;
        private readonly byte* _end;
        private readonly long _stride;

        public TilePrefetch(in MatVecArgs a, int row, int r1, int steps)
        {
            int rows = Math.Min(8, r1 - row);
            _p = rows > 0 ? a.W + (a.RowBytes * row) : null;
            _end = rows > 0 ? _p + (a.RowBytes * rows) : null;
            long lines = rows > 0 ? ((a.RowBytes * rows) + 63) / 64 : 0;
            _stride = steps > 0 ? ((lines + steps - 1) / steps) * 64 : 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step()
        {
            for (byte* q = _p, stop = _p + _stride; q < stop && q < _end; q += 64)
            {
                Sse.Prefetch0(q);
            }

            _p += _stride;
        }
    }

    /// <summary>
    /// Rows r..r+7 widened to int16, block-major (block b of row k at u + (b·8 + k)·64: elements 0–15, then 16–31), and
    /// their scales (dw + b·8 + k). With int16 weights a block dot is two vpmaddwd and an add, one instruction fewer per
    /// row and token than |w| × sign(x, w); every product and pair sum is exact in int32.
    /// </summary>
    private static void UnpackQ8(in MatVecArgs a, int r, byte* u, float* dw)
    {
        long rb = a.RowBytes;
        float* f16 = Fp16.Table;
        for (int k = 0; k < 8; k++)
        {
            byte* p = a.W + (rb * (r + k));
            for (int b = 0; b < a.Blocks; b++, p += 34)
            {
                short* o = (short*)(u + ((((b * 8) + k) * 64)));
                Avx2.ConvertToVector256Int16((sbyte*)(p + 2)).Store(o);
                Avx2.ConvertToVector256Int16((sbyte*)(p + 18)).Store(o + 16);
                dw[(b * 8) + k] = f16[*(ushort*)p];
            }
        }
    }

    /// <summary>
    /// Nibbles of rows r..r+7, block-major: for block b and pair k (rows k and k+4) the low nibbles (elements 0–15) at
    /// u + (b·4 + k)·64 and the high nibbles (16–31) 32 bytes on; scales as for Q8_0.
    /// </summary>
    private static void UnpackQ4(in MatVecArgs a, int r, byte* u, float* dw)
    {
        long rb = a.RowBytes;
        float* f16 = Fp16.Table;
        Vector256<byte> mask = Vector256.Create((byte)0x0F);
        for (int k = 0; k < 4; k++)
        {
            byte* p = a.W + (rb * (r + k));
            byte* q = p + (4 * rb);
            for (int b = 0; b < a.Blocks; b++, p += 18, q += 18)
            {
                Vector256<byte> w = Vector256.Create(Vector128.Load(p + 2), Vector128.Load(q + 2));
                byte* o = u + (((b * 4) + k) * 64);
                Avx2.And(w, mask).Store(o);
                Avx2.And(Avx2.ShiftRightLogical(w.AsUInt16(), 4).AsByte(), mask).Store(o + 32);
                dw[(b * 8) + k] = f16[*(ushort*)p];
                dw[(b * 8) + k + 4] = f16[*(ushort*)q];
            }
        }
    }

    /// <summary>Rows r..r+7 of token t from the widened tile.</summary>
    private static void Q8Rows8(in MatVecArgs a, int r, int t, byte* u, float* dw)
    {
        int nb = a.Blocks;
        sbyte* x = a.Xq + ((long)t * a.XStride);
        float* xd = a.Xd + ((long)t * a.XBlockStride);
        Vector256<float> acc = Vector256<float>.Zero;
        for (int b = 0; b < nb; b++)
        {
            Vector256<short> lo = Avx2.ConvertToVector256Int16(x + (b * 32));
            Vector256<short> hi = Avx2.ConvertToVector256Int16(x + (b * 32) + 16);
            short* ub = (short*)(u + (b * 8 * 64));
            Vector256<int> h0 = Avx2.HorizontalAdd(
                Avx2.HorizontalAdd(Dot16(ub, lo, hi), Dot16(ub + 32, lo, hi)),
                Avx2.HorizontalAdd(Dot16(ub + 64, lo, hi), Dot16(ub + 96, lo, hi)));
            Vector256<int> h1 = Avx2.HorizontalAdd(
                Avx2.HorizontalAdd(Dot16(ub + 128, lo, hi), Dot16(ub + 160, lo, hi)),
                Avx2.HorizontalAdd(Dot16(ub + 192, lo, hi), Dot16(ub + 224, lo, hi)));
            Vector256<int> s = Avx2.Add(Avx2.Permute2x128(h0, h1, 0x20), Avx2.Permute2x128(h0, h1, 0x31));
            acc += Vector256.ConvertToSingle(s) * (Avx.LoadVector256(dw + (b * 8)) * Vector256.Create(xd[b]));
        }

        acc.Store(a.Y + ((long)t * a.YStride) + r);
    }

    /// <summary>One widened block row (32 int16 at w) times x (lo: elements 0–15, hi: 16–31) as 8 int32 partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot16(short* w, Vector256<short> lo, Vector256<short> hi) =>
        Avx2.Add(Avx2.MultiplyAddAdjacent(Avx.LoadAlignedVector256(w), lo), Avx2.MultiplyAddAdjacent(Avx.LoadAlignedVector256(w + 16), hi));

    /// <summary>
    /// Rows r..r+7 of tokens t and t+1: each widened weight vector is loaded once for both tokens; four rows at a time
    /// so the sixteen partial sums never outnumber the registers.
    /// </summary>
    private static void Q8Rows8x2(in MatVecArgs a, int r, int t, byte* u, float* dw)
    {
        int nb = a.Blocks;
        sbyte* x0 = a.Xq + ((long)t * a.XStride);
        sbyte* x1 = x0 + a.XStride;
        float* d0 = a.Xd + ((long)t * a.XBlockStride);
        float* d1 = d0 + a.XBlockStride;
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0;
        for (int b = 0; b < nb; b++)
        {
            Vector256<short> al = Avx2.ConvertToVector256Int16(x0 + (b * 32)), ah = Avx2.ConvertToVector256Int16(x0 + (b * 32) + 16);
            Vector256<short> bl = Avx2.ConvertToVector256Int16(x1 + (b * 32)), bh = Avx2.ConvertToVector256Int16(x1 + (b * 32) + 16);
            short* ub = (short*)(u + (b * 8 * 64));
            Four(ub, al, ah, bl, bh, out Vector128<int> a03, out Vector128<int> b03);
            Four(ub + 128, al, ah, bl, bh, out Vector128<int> a47, out Vector128<int> b47);
            Vector256<float> scales = Avx.LoadVector256(dw + (b * 8));
            acc0 += Vector256.ConvertToSingle(Vector256.Create(a03, a47)) * (scales * Vector256.Create(d0[b]));
            acc1 += Vector256.ConvertToSingle(Vector256.Create(b03, b47)) * (scales * Vector256.Create(d1[b]));
        }

        float* y = a.Y + ((long)t * a.YStride) + r;
        acc0.Store(y);
        acc1.Store(y + a.YStride);
    }

    /// <summary>Block sums of four widened rows at w (64 bytes apart) with two tokens' activations (a and b, low/high halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four(short* w, Vector256<short> al, Vector256<short> ah, Vector256<short> bl, Vector256<short> bh, out Vector128<int> sa, out Vector128<int> sb)
    {
        Vector256<short> w0 = Avx.LoadAlignedVector256(w), w1 = Avx.LoadAlignedVector256(w + 16);
        Vector256<int> a0 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, al), Avx2.MultiplyAddAdjacent(w1, ah));
        Vector256<int> b0 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, bl), Avx2.MultiplyAddAdjacent(w1, bh));
        w0 = Avx.LoadAlignedVector256(w + 32);
        w1 = Avx.LoadAlignedVector256(w + 48);
        Vector256<int> a1 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, al), Avx2.MultiplyAddAdjacent(w1, ah));
        Vector256<int> b1 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, bl), Avx2.MultiplyAddAdjacent(w1, bh));
        Vector256<int> ha = Avx2.HorizontalAdd(a0, a1), hb = Avx2.HorizontalAdd(b0, b1);
        w0 = Avx.LoadAlignedVector256(w + 64);
        w1 = Avx.LoadAlignedVector256(w + 80);
        Vector256<int> a2 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, al), Avx2.MultiplyAddAdjacent(w1, ah));
        Vector256<int> b2 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, bl), Avx2.MultiplyAddAdjacent(w1, bh));
        w0 = Avx.LoadAlignedVector256(w + 96);
        w1 = Avx.LoadAlignedVector256(w + 112);
        Vector256<int> a3 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, al), Avx2.MultiplyAddAdjacent(w1, ah));
        Vector256<int> b3 = Avx2.Add(Avx2.MultiplyAddAdjacent(w0, bl), Avx2.MultiplyAddAdjacent(w1, bh));
        ha = Avx2.HorizontalAdd(ha, Avx2.HorizontalAdd(a2, a3));
        hb = Avx2.HorizontalAdd(hb, Avx2.HorizontalAdd(b2, b3));
        sa = Sse2.Add(ha.GetLower(), ha.GetUpper());
        sb = Sse2.Add(hb.GetLower(), hb.GetUpper());
    }

    /// <summary>Rows r..r+7 of token t from the unpacked tile: nibble × x − 8·Σx.</summary>
    private static void Q4Rows8<TDot>(in MatVecArgs a, int r, int t, byte* u, float* dw)
        where TDot : struct, IX86Dot
    {
        int nb = a.Blocks;
        sbyte* x = a.Xq + ((long)t * a.XStride);
        float* xd = a.Xd + ((long)t * a.XBlockStride);
        int* xs = a.Xs + ((long)t * a.XBlockStride);
        Vector256<float> acc = Vector256<float>.Zero;
        for (int b = 0; b < nb; b++)
        {
            Vector256<sbyte> lo = Avx2.BroadcastVector128ToVector256(x + (b * 32));       // x[0..15] in both lanes
            Vector256<sbyte> hi = Avx2.BroadcastVector128ToVector256(x + (b * 32) + 16);  // x[16..31] in both lanes
            byte* ub = u + (b * 4 * 64);
            Vector256<int> s04 = TDot.Dot2(Avx.LoadAlignedVector256(ub), lo, Avx.LoadAlignedVector256(ub + 32), hi);
            Vector256<int> s15 = TDot.Dot2(Avx.LoadAlignedVector256(ub + 64), lo, Avx.LoadAlignedVector256(ub + 96), hi);
            Vector256<int> s26 = TDot.Dot2(Avx.LoadAlignedVector256(ub + 128), lo, Avx.LoadAlignedVector256(ub + 160), hi);
            Vector256<int> s37 = TDot.Dot2(Avx.LoadAlignedVector256(ub + 192), lo, Avx.LoadAlignedVector256(ub + 224), hi);
            Vector256<int> s = Avx2.HorizontalAdd(Avx2.HorizontalAdd(s04, s15), Avx2.HorizontalAdd(s26, s37)) - Vector256.Create(xs[b] << 3);
            acc += Vector256.ConvertToSingle(s) * (Avx.LoadVector256(dw + (b * 8)) * Vector256.Create(xd[b]));
        }

        acc.Store(a.Y + ((long)t * a.YStride) + r);
    }

    /// <summary>The 32 nibbles of a Q4_0 block as bytes 0..15: low nibbles (elements 0–15), then high (16–31).</summary>
    /// <remarks>
    /// Three instructions: the 16 bytes broadcast to both lanes by the load, the upper lane shifted right by 4 (a
    /// per-lane variable shift), one mask.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Nibbles(byte* p)
    {
        Vector256<uint> q = Avx2.BroadcastVector128ToVector256((uint*)(p + 2));
        Vector256<uint> shifted = Avx2.ShiftRightLogicalVariable(q, Vector256.Create(0u, 0, 0, 0, 4, 4, 4, 4));
        return Avx2.And(shifted.AsByte(), Vector256.Create((byte)0x0F));
    }
}
