using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// arm64 kernels: the x86 shape (four rows share one activation load, one Vector128 lane of float accumulator per
/// row, the scalar reference's float sequence) without software prefetch (.NET exposes no PRFM; the Cortex-A
/// prefetchers follow several streams). Q4_0 uses Σ nibble·x − 8·Σx like the x86 kernels.
/// </summary>
internal static unsafe class ArmKernels
{
    public static void Q8_0<TDot, TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IArmDot
        where TSink : struct, IBlockSink
    {
        long rb = a.RowBytes;
        int nb = a.Blocks;
        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            byte* p0 = a.W + (rb * r);
            byte* p1 = p0 + rb;
            byte* p2 = p1 + rb;
            byte* p3 = p2 + rb;
            Vector128<float> acc = Vector128<float>.Zero;
            for (int b = 0; b < nb; b++)
            {
                sbyte* xp = a.Xq + (b * 32);
                Vector128<sbyte> x0 = AdvSimd.LoadVector128(xp);
                Vector128<sbyte> x1 = AdvSimd.LoadVector128(xp + 16);
                Vector128<int> s0 = DotQ8<TDot>(p0, x0, x1);
                Vector128<int> s1 = DotQ8<TDot>(p1, x0, x1);
                Vector128<int> s2 = DotQ8<TDot>(p2, x0, x1);
                Vector128<int> s3 = DotQ8<TDot>(p3, x0, x1);
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
                sbyte* xp = a.Xq + (b * 32);
                int sum = AdvSimd.Arm64.AddAcross(DotQ8<TDot>(p, AdvSimd.LoadVector128(xp), AdvSimd.LoadVector128(xp + 16))).ToScalar();
                sink.Put1(r, b, sum);
                acc += sum * (Fp16.Table[*(ushort*)p] * a.Xd[b]);
            }

            a.Y[r] = acc;
        }
    }

    public static void Q4_0<TDot, TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IArmDot
        where TSink : struct, IBlockSink
    {
        long rb = a.RowBytes;
        int nb = a.Blocks;
        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            byte* p0 = a.W + (rb * r);
            byte* p1 = p0 + rb;
            byte* p2 = p1 + rb;
            byte* p3 = p2 + rb;
            Vector128<float> acc = Vector128<float>.Zero;
            for (int b = 0; b < nb; b++)
            {
                sbyte* xp = a.Xq + (b * 32);
                Vector128<sbyte> x0 = AdvSimd.LoadVector128(xp);
                Vector128<sbyte> x1 = AdvSimd.LoadVector128(xp + 16);
                Vector128<int> s0 = DotQ4<TDot>(p0, x0, x1);
                Vector128<int> s1 = DotQ4<TDot>(p1, x0, x1);
                Vector128<int> s2 = DotQ4<TDot>(p2, x0, x1);
                Vector128<int> s3 = DotQ4<TDot>(p3, x0, x1);
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
                sbyte* xp = a.Xq + (b * 32);
                int sum = AdvSimd.Arm64.AddAcross(DotQ4<TDot>(p, AdvSimd.LoadVector128(xp), AdvSimd.LoadVector128(xp + 16))).ToScalar()
                    - (a.Xs[b] << 3);
                sink.Put1(r, b, sum);
                acc += sum * (Fp16.Table[*(ushort*)p] * a.Xd[b]);
            }

            a.Y[r] = acc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> DotQ8<TDot>(byte* p, Vector128<sbyte> x0, Vector128<sbyte> x1)
        where TDot : struct, IArmDot =>
        TDot.Dot(AdvSimd.LoadVector128((sbyte*)(p + 2)), AdvSimd.LoadVector128((sbyte*)(p + 18)), x0, x1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> DotQ4<TDot>(byte* p, Vector128<sbyte> x0, Vector128<sbyte> x1)
        where TDot : struct, IArmDot
    {
        Vector128<byte> q = AdvSimd.LoadVector128(p + 2);
        Vector128<byte> lo = AdvSimd.And(q, Vector128.Create((byte)0x0F));
        Vector128<byte> hi = AdvSimd.ShiftRightLogical(q, 4);
        return TDot.Dot(lo.AsSByte(), hi.AsSByte(), x0, x1);
    }

    /// <summary>[Σ s0, Σ s1, Σ s2, Σ s3] by pairwise adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> Reduce4(Vector128<int> s0, Vector128<int> s1, Vector128<int> s2, Vector128<int> s3) =>
        AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(s0, s1), AdvSimd.Arm64.AddPairwise(s2, s3));
}
