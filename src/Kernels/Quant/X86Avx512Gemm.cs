using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// The Q8_0 prefill tile of <see cref="KernelPath.Avx512"/> (docs/prefill.md): sixteen weight rows in the sixteen
/// int32 lanes of one 512-bit vector, weights and activations widened to int16 and multiplied by vpmaddwd, which adds
/// each lane's two products straight into int32. Without VNNI an int8 product needs two multiply instructions per
/// 32 multiply-accumulates on any layout (vpmaddubsw saturates on 255·127, so the AVX2 tile takes two nibble planes
/// and combines them per block with two more vpmaddwd); int16 operands take the same two multiplies without the
/// per-block combine and without the −128·Σx correction, and a 512-bit vector halves the instructions per
/// multiply-accumulate. The block sums are exact (|w·x| ≤ 128·128, 32 products ≤ 2^19), so the float sequence per
/// (row, token) is the reference's acc += (float)sum · (d_w · d_x) in block order, bit for bit the single-token
/// kernels'. Rows left over (fewer than sixteen) run the matrix × vector kernel per token, as on AVX2.
/// </summary>
/// <remarks>
/// Measured on Zen 4 (one thread, 64 tokens, A/B in one process, best of 30): 1536×576, 576×1536 and 960×576 went
/// from 66.3–67.0 (AVX2 tile, four tokens per pass) to 67.7–68.4 G multiply-accumulates/s, +2–3 %, not the +12 %
/// the saved combine promises: Zen 4 runs a 512-bit vpmaddwd plus vpaddd pair in ~1.4 cycles (8 pairs per ~11.4
/// cycles, loop-only, 3.65 GHz), i.e. 22 multiply-accumulates per cycle, about what two ymm vpmaddubsw planes give
/// (0.65 cycles per vpmaddubsw + vpaddw). 32 rows × 4 tokens per pass (half the broadcasts) measured slower (63).
/// Without the per-block float step the tile reaches 71.5: that step is ~6 %, the unpacking ~5 %.
/// </remarks>
internal static unsafe class X86Avx512Gemm
{
    /// <summary>Rows per tile: the sixteen int32 lanes of a 512-bit vector.</summary>
    private const int TileRows = 16;

    /// <summary>Tokens per pass over a tile: eight int32 and eight float accumulators of the 32 vector registers.</summary>
    private const int Pass = 8;

    /// <summary>This thread's activations widened to int16 when the caller did not prepare them (tests calling the tile directly).</summary>
    [ThreadStatic]
    private static short[]? ThreadX16;

    public static void Q8_0(in MatVecArgs a, int r0, int r1) => Run(a, r0, r1, interleaved: false);

    /// <summary>
    /// <see cref="GgmlType.Q8_0_R8"/>: the same tile, unpacked from the file's units with one widening and one
    /// permute per vector instead of transposes (<see cref="UnpackR8"/>).
    /// </summary>
    public static void Q8_0R8(in MatVecArgs a, int r0, int r1) => Run(a, r0, r1, interleaved: true);

    private static void Run(in MatVecArgs a, int r0, int r1, bool interleaved)
    {
        int nb = a.Blocks;
        int r = X86Gemm.FirstTileRow(r0, r1, interleaved);
        X86Gemm.Rest(a, r0, r, q8: true, interleaved);
        if (nb <= X86Gemm.MaxBlocks && r + TileRows <= r1)
        {
            byte* raw = stackalloc byte[(nb * 1024) + (nb * TileRows * sizeof(float)) + 64];
            byte* u = (byte*)(((nuint)raw + 63) & ~(nuint)63);
            float* dw = (float*)(u + (nb * 1024));
            long xs = a.XStride;
            short[]? own = null;
            if (a.X16 == null)
            {
                long need = a.Tokens * xs;
                own = ThreadX16 is { } buffer && buffer.Length >= need ? buffer : ThreadX16 = GC.AllocateUninitializedArray<short>((int)need, pinned: true);
            }

            fixed (short* mine = own)
            {
                short* px = a.X16;
                if (px == null)
                {
                    px = mine;
                    Widen(a.Xq, px, a.Cols, a.XStride, a.Tokens);
                }

                for (; r + TileRows <= r1; r += TileRows)
                {
                    if (interleaved)
                    {
                        UnpackR8(a, r, u, dw);
                    }
                    else
                    {
                        Unpack(a, r, u, dw);
                    }

                    var next = new X86Gemm.TilePrefetch(a, r + TileRows, r1, (a.Tokens + Pass - 1) / Pass);
                    for (int t = 0; t < a.Tokens; t += Pass)
                    {
                        if (a.Tokens - t > Pass / 2)
                        {
                            Tile8(a, r, t, u, dw, px, xs);
                        }
                        else
                        {
                            Tile4(a, r, t, u, dw, px, xs); // a short last pass: half the repeated work
                        }

                        next.Step();
                    }
                }
            }
        }

        X86Gemm.Rest(a, r, r1, q8: true, interleaved);
    }

    /// <summary>
    /// Rows 0..<paramref name="tokens"/>−1 of int8 activations (<paramref name="n"/> values each, a multiple of 32, rows
    /// <paramref name="stride"/> apart) as int16 at the same offsets: one vpmovsxbw per 32 values.
    /// </summary>
    public static void Widen(sbyte* x, short* x16, int n, int stride, int tokens)
    {
        for (int t = 0; t < tokens; t++)
        {
            sbyte* src = x + ((long)t * stride);
            short* dst = x16 + ((long)t * stride);
            for (int i = 0; i < n; i += 32)
            {
                Avx512BW.ConvertToVector512Int16(Vector256.Load(src + i)).Store(dst + i);
            }
        }
    }

    /// <summary>
    /// Rows r..r+15 of a Q8_0 matrix as int16, rows in lanes: block b, pair j (elements 2j, 2j+1) at u + b·1024 +
    /// j·64, row r+k's pair in 32-bit lane k; scales at dw + b·16 + k. Built as two 8×8 transposes of 32-bit units
    /// per group of eight rows, the low group in the vector's lower 256 bits.
    /// </summary>
    private static void Unpack(in MatVecArgs a, int r, byte* u, float* dw)
    {
        long rb = a.RowBytes;
        float* f16 = Fp16.Table;
        Vector256<int>* lo = stackalloc Vector256<int>[8];
        Vector256<int>* hi = stackalloc Vector256<int>[8];
        for (int g = 0; g < 2; g++)
        {
            byte* p = a.W + (rb * (r + (8 * g)));
            for (int b = 0; b < a.Blocks; b++, p += 34)
            {
                for (int k = 0; k < 8; k++)
                {
                    byte* q = p + (k * rb);
                    lo[k] = Avx2.ConvertToVector256Int16((sbyte*)(q + 2)).AsInt32();
                    hi[k] = Avx2.ConvertToVector256Int16((sbyte*)(q + 18)).AsInt32();
                    dw[(b * 16) + (g * 8) + k] = f16[*(ushort*)q];
                }

                X86Gemm.Transpose8x8(lo);
                X86Gemm.Transpose8x8(hi);
                byte* o = u + (b * 1024) + (g * 32);
                for (int j = 0; j < 8; j++)
                {
                    Avx.StoreAligned((int*)(o + (j * 64)), lo[j]);
                    Avx.StoreAligned((int*)(o + ((j + 8) * 64)), hi[j]);
                }
            }
        }
    }

    /// <summary>
    /// Rows r..r+15 (r a multiple of eight: two groups) of a Q8_0_R8 matrix into the tile of <see cref="Unpack"/>.
    /// vpmovsxbw of a 32-byte unit j (elements 4j..4j+3 of eight rows) puts row k's pairs 2j and 2j+1 in 32-bit lanes
    /// 2k and 2k+1; one vpermt2d over both groups' widened units gathers the even lanes (pair 2j of rows 0..15),
    /// another the odd lanes (pair 2j+1).
    /// </summary>
    private static void UnpackR8(in MatVecArgs a, int r, byte* u, float* dw)
    {
        long gb = a.RowBytes * RowInterleave.Rows;
        Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odd = even + Vector512<int>.One;
        byte* p0 = a.W + (a.RowBytes * r);
        for (int b = 0; b < a.Blocks; b++, p0 += 8 * 34)
        {
            byte* p1 = p0 + gb;
            X86R8Kernels.Scales(p0).Store(dw + (b * 16));
            X86R8Kernels.Scales(p1).Store(dw + (b * 16) + 8);
            byte* o = u + (b * 1024);
            for (int j = 0; j < 8; j++)
            {
                Vector512<int> w0 = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(p0 + 16 + (j * 32)))).AsInt32();
                Vector512<int> w1 = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(p1 + 16 + (j * 32)))).AsInt32();
                Avx512F.PermuteVar16x32x2(w0, even, w1).StoreAligned((int*)(o + (2 * j * 64)));
                Avx512F.PermuteVar16x32x2(w0, odd, w1).StoreAligned((int*)(o + (((2 * j) + 1) * 64)));
            }
        }
    }

    /// <summary>acc + (float)sum · (d_w · d_x): the reference's per-block float step for sixteen rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Accumulate(Vector512<float> acc, Vector512<int> sum, Vector512<float> dw, float dx) =>
        acc + (Vector512.ConvertToSingle(sum) * (dw * Vector512.Create(dx)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Madd(Vector512<int> acc, Vector512<short> w, int* x) =>
        acc + Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(*x).AsInt16());

    /// <summary>
    /// Rows r..r+15 of tokens t..t+7 (past the last token, the last one again: the same bits written twice): per block
    /// sixteen pair steps into eight int32 accumulators, then the float step per token.
    /// </summary>
    private static void Tile8(in MatVecArgs a, int r, int t, byte* u, float* dw, short* x16, long xs)
    {
        int last = a.Tokens - 1;
        int t1 = Math.Min(t + 1, last), t2 = Math.Min(t + 2, last), t3 = Math.Min(t + 3, last);
        int t4 = Math.Min(t + 4, last), t5 = Math.Min(t + 5, last), t6 = Math.Min(t + 6, last), t7 = Math.Min(t + 7, last);
        int* x0 = (int*)(x16 + (t * xs)), x1 = (int*)(x16 + (t1 * xs)), x2 = (int*)(x16 + (t2 * xs)), x3 = (int*)(x16 + (t3 * xs));
        int* x4 = (int*)(x16 + (t4 * xs)), x5 = (int*)(x16 + (t5 * xs)), x6 = (int*)(x16 + (t6 * xs)), x7 = (int*)(x16 + (t7 * xs));
        long bs = a.XBlockStride;
        float* d0 = a.Xd + (t * bs), d1 = a.Xd + (t1 * bs), d2 = a.Xd + (t2 * bs), d3 = a.Xd + (t3 * bs);
        float* d4 = a.Xd + (t4 * bs), d5 = a.Xd + (t5 * bs), d6 = a.Xd + (t6 * bs), d7 = a.Xd + (t7 * bs);
        Vector512<float> f0 = Vector512<float>.Zero, f1 = f0, f2 = f0, f3 = f0, f4 = f0, f5 = f0, f6 = f0, f7 = f0;
        for (int b = 0; b < a.Blocks; b++)
        {
            Vector512<int> a0 = Vector512<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            byte* ub = u + (b * 1024);
            int o = b * 16; // int16 pairs per block
            for (int j = 0; j < 16; j++, ub += 64)
            {
                Vector512<short> w = Vector512.LoadAligned((short*)ub);
                a0 = Madd(a0, w, x0 + o + j);
                a1 = Madd(a1, w, x1 + o + j);
                a2 = Madd(a2, w, x2 + o + j);
                a3 = Madd(a3, w, x3 + o + j);
                a4 = Madd(a4, w, x4 + o + j);
                a5 = Madd(a5, w, x5 + o + j);
                a6 = Madd(a6, w, x6 + o + j);
                a7 = Madd(a7, w, x7 + o + j);
            }

            Vector512<float> g = Vector512.LoadAligned(dw + (b * 16));
            f0 = Accumulate(f0, a0, g, d0[b]);
            f1 = Accumulate(f1, a1, g, d1[b]);
            f2 = Accumulate(f2, a2, g, d2[b]);
            f3 = Accumulate(f3, a3, g, d3[b]);
            f4 = Accumulate(f4, a4, g, d4[b]);
            f5 = Accumulate(f5, a5, g, d5[b]);
            f6 = Accumulate(f6, a6, g, d6[b]);
            f7 = Accumulate(f7, a7, g, d7[b]);
        }

        float* y = a.Y + r;
        long ys = a.YStride;
        f0.Store(y + (t * ys));
        f1.Store(y + (t1 * ys));
        f2.Store(y + (t2 * ys));
        f3.Store(y + (t3 * ys));
        f4.Store(y + (t4 * ys));
        f5.Store(y + (t5 * ys));
        f6.Store(y + (t6 * ys));
        f7.Store(y + (t7 * ys));
    }

    /// <summary>As <see cref="Tile8"/> for tokens t..t+3 (the batch's last few tokens).</summary>
    private static void Tile4(in MatVecArgs a, int r, int t, byte* u, float* dw, short* x16, long xs)
    {
        int last = a.Tokens - 1;
        int t1 = Math.Min(t + 1, last), t2 = Math.Min(t + 2, last), t3 = Math.Min(t + 3, last);
        int* x0 = (int*)(x16 + (t * xs)), x1 = (int*)(x16 + (t1 * xs)), x2 = (int*)(x16 + (t2 * xs)), x3 = (int*)(x16 + (t3 * xs));
        long bs = a.XBlockStride;
        float* d0 = a.Xd + (t * bs), d1 = a.Xd + (t1 * bs), d2 = a.Xd + (t2 * bs), d3 = a.Xd + (t3 * bs);
        Vector512<float> f0 = Vector512<float>.Zero, f1 = f0, f2 = f0, f3 = f0;
        for (int b = 0; b < a.Blocks; b++)
        {
            Vector512<int> a0 = Vector512<int>.Zero, a1 = a0, a2 = a0, a3 = a0;
            byte* ub = u + (b * 1024);
            int o = b * 16;
            for (int j = 0; j < 16; j++, ub += 64)
            {
                Vector512<short> w = Vector512.LoadAligned((short*)ub);
                a0 = Madd(a0, w, x0 + o + j);
                a1 = Madd(a1, w, x1 + o + j);
                a2 = Madd(a2, w, x2 + o + j);
                a3 = Madd(a3, w, x3 + o + j);
            }

            Vector512<float> g = Vector512.LoadAligned(dw + (b * 16));
            f0 = Accumulate(f0, a0, g, d0[b]);
            f1 = Accumulate(f1, a1, g, d1[b]);
            f2 = Accumulate(f2, a2, g, d2[b]);
            f3 = Accumulate(f3, a3, g, d3[b]);
        }

        float* y = a.Y + r;
        long ys = a.YStride;
        f0.Store(y + (t * ys));
        f1.Store(y + (t1 * ys));
        f2.Store(y + (t2 * ys));
        f3.Store(y + (t3 * ys));
    }
}
