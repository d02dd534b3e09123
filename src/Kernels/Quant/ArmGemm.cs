using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// arm64 matrix × matrix kernels for prefill: four weight rows × two tokens per step, so every weight vector loaded
/// feeds two tokens' dot products and every activation vector four rows (llamafile's tinyBLAS register tiles take the
/// same idea further). Q8_0 rows are read in place (a four-row tile of a 1536-wide matrix is 6.5 KB and stays in L1
/// while the batch streams past it); Q4_0 rows are unpacked once per tile into nibble bytes (elements 0–15, then
/// 16–31) and the scales of the tile are made floats once. Per (row, token) the float sequence is the reference's
/// acc += (float)sum · (d_w · d_x) in block order, so every output equals <see cref="ArmKernels"/>' bit for bit.
/// Rows left over (fewer than four) and an odd last token run the matrix × vector kernel.
/// </summary>
internal static unsafe class ArmGemm
{
    public static void Q8_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IArmDot
    {
        int nb = a.Blocks;
        int r = r0;
        if (nb <= X86Gemm.MaxBlocks)
        {
            float* dw = stackalloc float[nb * 4];
            for (; r + 4 <= r1; r += 4)
            {
                byte* w = a.W + (a.RowBytes * r);
                Scales(w, a.RowBytes, 34, nb, dw);
                Tile<TDot>(a, r, w + 2, a.RowBytes, 34, dw, q4: false);
            }
        }

        for (int t = 0; r < r1 && t < a.Tokens; t++)
        {
            ArmKernels.Q8_0<TDot, NoSink>(a.ForToken(t), r, r1, default);
        }
    }

    public static void Q4_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IArmDot
    {
        int nb = a.Blocks;
        int r = r0;
        if (nb <= X86Gemm.MaxBlocks)
        {
            float* dw = stackalloc float[nb * 4];
            sbyte* u = stackalloc sbyte[nb * 4 * 32];
            for (; r + 4 <= r1; r += 4)
            {
                byte* w = a.W + (a.RowBytes * r);
                Scales(w, a.RowBytes, 18, nb, dw);
                UnpackQ4(w, a.RowBytes, nb, u);
                Tile<TDot>(a, r, (byte*)u, 32, 4 * 32, dw, q4: true);
            }
        }

        for (int t = 0; r < r1 && t < a.Tokens; t++)
        {
            ArmKernels.Q4_0<TDot, NoSink>(a.ForToken(t), r, r1, default);
        }
    }

    /// <summary>The f16 scales of rows k = 0..3 (at w + k·rb) as floats, block-major: dw[b·4 + k].</summary>
    private static void Scales(byte* w, long rb, int blockBytes, int nb, float* dw)
    {
        for (int k = 0; k < 4; k++)
        {
            byte* p = w + (k * rb);
            for (int b = 0; b < nb; b++, p += blockBytes)
            {
                dw[(b * 4) + k] = Fp16.Table[*(ushort*)p];
            }
        }
    }

    /// <summary>Nibbles of rows 0..3 as bytes 0..15, block-major: block b of row k at u + (b·4 + k)·32, low nibbles first.</summary>
    private static void UnpackQ4(byte* w, long rb, int nb, sbyte* u)
    {
        Vector128<byte> mask = Vector128.Create((byte)0x0F);
        for (int k = 0; k < 4; k++)
        {
            byte* p = w + (k * rb);
            for (int b = 0; b < nb; b++, p += 18)
            {
                Vector128<byte> q = AdvSimd.LoadVector128(p + 2);
                byte* o = (byte*)(u + (((b * 4) + k) * 32));
                AdvSimd.And(q, mask).Store(o);
                AdvSimd.ShiftRightLogical(q, 4).Store(o + 16);
            }
        }
    }

    /// <summary>
    /// Rows r..r+3 for every token: the 32 int8 weights of block b of row k at w + k·rowStride + b·blockStride, their
    /// scales at dw + b·4. Q4_0 (nibbles 0..15) subtracts 8·Σx of the block, the same integer as Σ(nibble − 8)·x.
    /// </summary>
    private static void Tile<TDot>(in MatVecArgs a, int r, byte* w, long rowStride, long blockStride, float* dw, bool q4)
        where TDot : struct, IArmDot
    {
        int nb = a.Blocks;
        int t = 0;
        for (; t + 2 <= a.Tokens; t += 2)
        {
            sbyte* xa = a.Xq + ((long)t * a.XStride), xb = xa + a.XStride;
            float* da = a.Xd + ((long)t * a.XBlockStride), db = da + a.XBlockStride;
            int* sa = a.Xs + ((long)t * a.XBlockStride), sb = sa + a.XBlockStride;
            Vector128<float> accA = Vector128<float>.Zero, accB = accA;
            for (int b = 0; b < nb; b++)
            {
                Vector128<sbyte> a0 = AdvSimd.LoadVector128(xa + (b * 32)), a1 = AdvSimd.LoadVector128(xa + (b * 32) + 16);
                Vector128<sbyte> b0 = AdvSimd.LoadVector128(xb + (b * 32)), b1 = AdvSimd.LoadVector128(xb + (b * 32) + 16);
                sbyte* p = (sbyte*)(w + (b * blockStride));
                Vector128<sbyte> w00 = AdvSimd.LoadVector128(p), w01 = AdvSimd.LoadVector128(p + 16);
                Vector128<sbyte> w10 = AdvSimd.LoadVector128(p + rowStride), w11 = AdvSimd.LoadVector128(p + rowStride + 16);
                Vector128<sbyte> w20 = AdvSimd.LoadVector128(p + (2 * rowStride)), w21 = AdvSimd.LoadVector128(p + (2 * rowStride) + 16);
                Vector128<sbyte> w30 = AdvSimd.LoadVector128(p + (3 * rowStride)), w31 = AdvSimd.LoadVector128(p + (3 * rowStride) + 16);
                Vector128<int> s = ArmKernels.Reduce4(TDot.Dot(w00, w01, a0, a1), TDot.Dot(w10, w11, a0, a1), TDot.Dot(w20, w21, a0, a1), TDot.Dot(w30, w31, a0, a1));
                Vector128<int> z = ArmKernels.Reduce4(TDot.Dot(w00, w01, b0, b1), TDot.Dot(w10, w11, b0, b1), TDot.Dot(w20, w21, b0, b1), TDot.Dot(w30, w31, b0, b1));
                if (q4)
                {
                    s -= Vector128.Create(sa[b] << 3);
                    z -= Vector128.Create(sb[b] << 3);
                }

                Vector128<float> d = Vector128.Load(dw + (b * 4));
                accA += Vector128.ConvertToSingle(s) * (d * Vector128.Create(da[b]));
                accB += Vector128.ConvertToSingle(z) * (d * Vector128.Create(db[b]));
            }

            accA.Store(a.Y + ((long)t * a.YStride) + r);
            accB.Store(a.Y + ((long)(t + 1) * a.YStride) + r);
        }

        if (t < a.Tokens)
        {
            sbyte* xa = a.Xq + ((long)t * a.XStride);
            float* da = a.Xd + ((long)t * a.XBlockStride);
            int* sa = a.Xs + ((long)t * a.XBlockStride);
            Vector128<float> acc = Vector128<float>.Zero;
            for (int b = 0; b < nb; b++)
            {
                Vector128<sbyte> a0 = AdvSimd.LoadVector128(xa + (b * 32)), a1 = AdvSimd.LoadVector128(xa + (b * 32) + 16);
                sbyte* p = (sbyte*)(w + (b * blockStride));
                Vector128<int> s = ArmKernels.Reduce4(
                    TDot.Dot(AdvSimd.LoadVector128(p), AdvSimd.LoadVector128(p + 16), a0, a1),
                    TDot.Dot(AdvSimd.LoadVector128(p + rowStride), AdvSimd.LoadVector128(p + rowStride + 16), a0, a1),
                    TDot.Dot(AdvSimd.LoadVector128(p + (2 * rowStride)), AdvSimd.LoadVector128(p + (2 * rowStride) + 16), a0, a1),
                    TDot.Dot(AdvSimd.LoadVector128(p + (3 * rowStride)), AdvSimd.LoadVector128(p + (3 * rowStride) + 16), a0, a1));
                if (q4)
                {
                    s -= Vector128.Create(sa[b] << 3);
                }

                acc += Vector128.ConvertToSingle(s) * (Vector128.Load(dw + (b * 4)) * Vector128.Create(da[b]));
            }

            acc.Store(a.Y + ((long)t * a.YStride) + r);
        }
    }
}
