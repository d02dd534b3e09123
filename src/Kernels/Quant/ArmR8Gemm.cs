using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// arm64 prefill tiles for the row-interleaved types (docs/interleaved.md): one group of eight rows × two tokens per
/// step with sdot (one token with the AdvSIMD twin), rows in lanes as in <see cref="ArmR8Kernels"/>, so every weight
/// vector loaded feeds two tokens and every activation quadruplet four rows, with no horizontal sums. The layout is already the tile's: Q8_0_R8 units are
/// read in place (a group of a 1536-wide matrix is 13 KB and stays in L1 while the batch streams past it), Q4_0_R8
/// units are only split into low and high nibble bytes once per tile (no transposition, unlike the plain types'
/// tiles), and the group's scales are made floats once per tile. Per (row, token) the float sequence is the
/// reference's acc += (float)sum · (d_w · d_x) in block order, so every output equals
/// <see cref="ScalarGemm.Q8_0R8"/>' / <see cref="ScalarGemm.Q4_0R8"/>' bit for bit. Rows of partial groups run the
/// scalar reference per token; an odd last token runs the tile's one-token step. Speed on arm64 hardware is
/// unmeasured.
/// </summary>
internal static unsafe class ArmR8Gemm
{
    public static void Q8_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IArmDot
    {
        int nb = a.Blocks;
        int g0 = (r0 + 7) & ~7, g1 = r1 & ~7;
        if (g0 >= g1 || nb > X86Gemm.MaxBlocks)
        {
            for (int t = 0; t < a.Tokens; t++)
            {
                ArmR8Kernels.Q8_0<TDot, NoSink>(a.ForToken(t), r0, r1, default);
            }

            return;
        }

        Partial(a, r0, g0, q4: false);
        float* dw = stackalloc float[nb * 8];
        for (int r = g0; r < g1; r += 8)
        {
            byte* g = a.W + (a.RowBytes * r);
            Scales(g, ArmR8Kernels.Q8GroupBlock, nb, dw);
            Tile<TDot>(a, r, g + 16, ArmR8Kernels.Q8GroupBlock, dw, q4: false);
        }

        Partial(a, g1, r1, q4: false);
    }

    public static void Q4_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IArmDot
    {
        int nb = a.Blocks;
        int g0 = (r0 + 7) & ~7, g1 = r1 & ~7;
        if (g0 >= g1 || nb > X86Gemm.MaxBlocks)
        {
            for (int t = 0; t < a.Tokens; t++)
            {
                ArmR8Kernels.Q4_0<TDot, NoSink>(a.ForToken(t), r0, r1, default);
            }

            return;
        }

        Partial(a, r0, g0, q4: true);
        float* dw = stackalloc float[nb * 8];
        byte* u = stackalloc byte[nb * 256];
        for (int r = g0; r < g1; r += 8)
        {
            byte* g = a.W + (a.RowBytes * r);
            Scales(g, ArmR8Kernels.Q4GroupBlock, nb, dw);
            SplitNibbles(g, nb, u);
            Tile<TDot>(a, r, u, 256, dw, q4: true);
        }

        Partial(a, g1, r1, q4: true);
    }

    /// <summary>Rows [r0, r1) of less than a group, every token: the scalar reference.</summary>
    private static void Partial(in MatVecArgs a, int r0, int r1, bool q4)
    {
        for (int t = 0; r0 < r1 && t < a.Tokens; t++)
        {
            if (q4)
            {
                ScalarKernels.Q4_0R8(a.ForToken(t), r0, r1, default(NoSink));
            }
            else
            {
                ScalarKernels.Q8_0R8(a.ForToken(t), r0, r1, default(NoSink));
            }
        }
    }

    /// <summary>The group's eight f16 scales per block (the first 16 bytes of every group block) as floats: dw[b·8 + k].</summary>
    private static void Scales(byte* g, int groupBlock, int nb, float* dw)
    {
        for (int b = 0; b < nb; b++, g += groupBlock)
        {
            Vector128<ushort> h = AdvSimd.LoadVector128((ushort*)g);
            ArmFp16.Lower(h).Store(dw + (b * 8));
            ArmFp16.Upper(h).Store(dw + (b * 8) + 4);
        }
    }

    /// <summary>
    /// A Q4_0_R8 group as Q8_0_R8-shaped units without scales, 256 bytes per block: unit m (0–3) the low nibbles of
    /// unit m (elements 4m..4m+3), unit 4 + m its high nibbles (elements 16+4m..16+4m+3), rows at the same offsets.
    /// </summary>
    private static void SplitNibbles(byte* g, int nb, byte* u)
    {
        Vector128<byte> mask = Vector128.Create((byte)0x0F);
        for (int b = 0; b < nb; b++, g += ArmR8Kernels.Q4GroupBlock, u += 256)
        {
            for (int i = 0; i < 128; i += 16)
            {
                Vector128<byte> q = AdvSimd.LoadVector128(g + 16 + i);
                (q & mask).Store(u + i);
                AdvSimd.ShiftRightLogical(q, 4).Store(u + 128 + i);
            }
        }
    }

    /// <summary>
    /// Rows r..r+7 for every token: block b's eight 32-byte units at w + b·blockStride (rows 0–3 in each unit's first
    /// 16 bytes), their scales at dw + b·8. Q4_0 (nibbles 0..15) subtracts 8·Σx of the block, the same integer as
    /// Σ (nibble − 8)·x.
    /// </summary>
    private static void Tile<TDot>(in MatVecArgs a, int r, byte* w, long blockStride, float* dw, bool q4)
        where TDot : struct, IArmDot
    {
        int nb = a.Blocks;
        int t = 0;

        // Two tokens per pass with sdot only: the AdvSIMD twin's broadcast quadruplets of two tokens do not fit the 32
        // vector registers beside the eight weight vectors (the JIT's arm64 code for a two-token AdvSIMD step had ~55
        // vector stack loads and stores per block; the one-token step and both sdot steps have none), so AdvSIMD
        // takes one token per pass, the weights still from L1.
        for (; typeof(TDot) == typeof(SdotDot) && t + 2 <= a.Tokens; t += 2)
        {
            sbyte* xa = a.Xq + ((long)t * a.XStride), xb = xa + a.XStride;
            float* da = a.Xd + ((long)t * a.XBlockStride), db = da + a.XBlockStride;
            int* sa = a.Xs + ((long)t * a.XBlockStride), sb = sa + a.XBlockStride;
            Vector128<float> accA0 = Vector128<float>.Zero, accA1 = accA0, accB0 = accA0, accB1 = accA0;
            for (int b = 0; b < nb; b++)
            {
                Vector128<sbyte> a0 = AdvSimd.LoadVector128(xa + (b * 32)), a1 = AdvSimd.LoadVector128(xa + (b * 32) + 16);
                Vector128<sbyte> b0 = AdvSimd.LoadVector128(xb + (b * 32)), b1 = AdvSimd.LoadVector128(xb + (b * 32) + 16);
                sbyte* u = (sbyte*)(w + (b * blockStride));

                // rows 0–3: the units' first halves, each loaded once for both tokens
                Vector128<sbyte> w0 = AdvSimd.LoadVector128(u), w1 = AdvSimd.LoadVector128(u + 32);
                Vector128<sbyte> w2 = AdvSimd.LoadVector128(u + 64), w3 = AdvSimd.LoadVector128(u + 96);
                Vector128<sbyte> w4 = AdvSimd.LoadVector128(u + 128), w5 = AdvSimd.LoadVector128(u + 160);
                Vector128<sbyte> w6 = AdvSimd.LoadVector128(u + 192), w7 = AdvSimd.LoadVector128(u + 224);
                Vector128<int> sA0 = TDot.DotQuads(TDot.DotQuads(Vector128<int>.Zero, w0, w1, w2, w3, a0), w4, w5, w6, w7, a1);
                Vector128<int> sB0 = TDot.DotQuads(TDot.DotQuads(Vector128<int>.Zero, w0, w1, w2, w3, b0), w4, w5, w6, w7, b1);

                // rows 4–7: the second halves
                w0 = AdvSimd.LoadVector128(u + 16);
                w1 = AdvSimd.LoadVector128(u + 48);
                w2 = AdvSimd.LoadVector128(u + 80);
                w3 = AdvSimd.LoadVector128(u + 112);
                w4 = AdvSimd.LoadVector128(u + 144);
                w5 = AdvSimd.LoadVector128(u + 176);
                w6 = AdvSimd.LoadVector128(u + 208);
                w7 = AdvSimd.LoadVector128(u + 240);
                Vector128<int> sA1 = TDot.DotQuads(TDot.DotQuads(Vector128<int>.Zero, w0, w1, w2, w3, a0), w4, w5, w6, w7, a1);
                Vector128<int> sB1 = TDot.DotQuads(TDot.DotQuads(Vector128<int>.Zero, w0, w1, w2, w3, b0), w4, w5, w6, w7, b1);
                if (q4)
                {
                    Vector128<int> biasA = Vector128.Create(sa[b] << 3), biasB = Vector128.Create(sb[b] << 3);
                    sA0 -= biasA;
                    sA1 -= biasA;
                    sB0 -= biasB;
                    sB1 -= biasB;
                }

                Vector128<float> d0 = Vector128.Load(dw + (b * 8)), d1 = Vector128.Load(dw + (b * 8) + 4);
                Vector128<float> xdA = Vector128.Create(da[b]), xdB = Vector128.Create(db[b]);
                accA0 += Vector128.ConvertToSingle(sA0) * (d0 * xdA);
                accA1 += Vector128.ConvertToSingle(sA1) * (d1 * xdA);
                accB0 += Vector128.ConvertToSingle(sB0) * (d0 * xdB);
                accB1 += Vector128.ConvertToSingle(sB1) * (d1 * xdB);
            }

            float* ya = a.Y + ((long)t * a.YStride) + r, yb = ya + a.YStride;
            accA0.Store(ya);
            accA1.Store(ya + 4);
            accB0.Store(yb);
            accB1.Store(yb + 4);
        }

        for (; t < a.Tokens; t++)
        {
            sbyte* xa = a.Xq + ((long)t * a.XStride);
            float* da = a.Xd + ((long)t * a.XBlockStride);
            int* sa = a.Xs + ((long)t * a.XBlockStride);
            Vector128<float> acc0 = Vector128<float>.Zero, acc1 = acc0;
            for (int b = 0; b < nb; b++)
            {
                Vector128<sbyte> x0 = AdvSimd.LoadVector128(xa + (b * 32)), x1 = AdvSimd.LoadVector128(xa + (b * 32) + 16);
                sbyte* u = (sbyte*)(w + (b * blockStride));
                Vector128<int> s0 = ArmR8Kernels.Half<TDot>(u, x0) + ArmR8Kernels.Half<TDot>(u + 128, x1);
                Vector128<int> s1 = ArmR8Kernels.Half<TDot>(u + 16, x0) + ArmR8Kernels.Half<TDot>(u + 144, x1);
                if (q4)
                {
                    Vector128<int> bias = Vector128.Create(sa[b] << 3);
                    s0 -= bias;
                    s1 -= bias;
                }

                Vector128<float> xd = Vector128.Create(da[b]);
                acc0 += Vector128.ConvertToSingle(s0) * (Vector128.Load(dw + (b * 8)) * xd);
                acc1 += Vector128.ConvertToSingle(s1) * (Vector128.Load(dw + (b * 8) + 4) * xd);
            }

            float* y = a.Y + ((long)t * a.YStride) + r;
            acc0.Store(y);
            acc1.Store(y + 4);
        }
    }
}
