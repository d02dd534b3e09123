using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// arm64 matrix × vector kernels for the row-interleaved types (docs/interleaved.md): one group of eight rows per
/// step, rows 0–3 of the group in the lanes of one int32 vector and rows 4–7 in another. A 32-byte unit holds four
/// consecutive elements of all eight rows (rows 0–3 in its first 16 bytes), so <see cref="IArmDot.DotQuads"/> (sdot
/// by element, or its AdvSIMD twin) multiplies four units' halves by the block's activation quadruplets and leaves
/// every row's partial sum in its lane; after a block's units each lane is that row's exact int32 block sum, with no
/// horizontal reduction. The block's eight f16 scales are one 16-byte load converted in SIMD lanes
/// (<see cref="ArmFp16"/>, bit for bit the table). The float sequence per row is the reference's
/// acc += (float)sum · (d_w · d_x), so the outputs are the bits of <see cref="ScalarKernels.Q8_0R8{TSink}"/> and of
/// the plain layout's kernels. Rows of a range that only partly cover a group run the scalar reference.
/// </summary>
/// <remarks>
/// No software prefetch: .NET exposes no PRFM on arm64 outside SVE (which the Cortex-A53/A72/A76 boards lack), and
/// here each thread reads one sequential stream (a group is contiguous), the easiest pattern for the hardware
/// prefetchers; the plain layout's kernels read four row streams. Speed on arm64 hardware is unmeasured.
/// </remarks>
internal static unsafe class ArmR8Kernels
{
    /// <summary>Bytes per group and block: eight f16 scales, then eight units of 32.</summary>
    internal const int Q8GroupBlock = 16 + (8 * 32);

    /// <summary>Bytes per group and block: eight f16 scales, then four units of 32.</summary>
    internal const int Q4GroupBlock = 16 + (4 * 32);

    public static void Q8_0<TDot, TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IArmDot
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
        sbyte* xq = a.Xq;
        float* xdp = a.Xd;
        for (int r = g0; r < g1; r += 8)
        {
            byte* p = a.W + (a.RowBytes * r);
            Vector128<float> acc0 = Vector128<float>.Zero, acc1 = acc0;
            for (int b = 0; b < nb; b++, p += Q8GroupBlock)
            {
                sbyte* xp = xq + (b * 32);
                Vector128<sbyte> x0 = AdvSimd.LoadVector128(xp), x1 = AdvSimd.LoadVector128(xp + 16);
                sbyte* u = (sbyte*)(p + 16);

                // units 0–3 hold elements 0–15 (against x0), units 4–7 elements 16–31 (x1); four independent chains
                Vector128<int> s0 = Half<TDot>(u, x0) + Half<TDot>(u + 128, x1);
                Vector128<int> s1 = Half<TDot>(u + 16, x0) + Half<TDot>(u + 144, x1);
                sink.Put4(r, b, s0);
                sink.Put4(r + 4, b, s1);
                Vector128<ushort> h = AdvSimd.LoadVector128((ushort*)p);
                Vector128<float> xd = Vector128.Create(xdp[b]);
                acc0 += Vector128.ConvertToSingle(s0) * (ArmFp16.Lower(h) * xd);
                acc1 += Vector128.ConvertToSingle(s1) * (ArmFp16.Upper(h) * xd);
            }

            acc0.Store(a.Y + r);
            acc1.Store(a.Y + r + 4);
        }

        ScalarKernels.Q8_0R8(a, g1, r1, sink);
    }

    public static void Q4_0<TDot, TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TDot : struct, IArmDot
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
        sbyte* xq = a.Xq;
        float* xdp = a.Xd;
        int* xs = a.Xs;
        for (int r = g0; r < g1; r += 8)
        {
            byte* p = a.W + (a.RowBytes * r);
            Vector128<float> acc0 = Vector128<float>.Zero, acc1 = acc0;
            for (int b = 0; b < nb; b++, p += Q4GroupBlock)
            {
                sbyte* xp = xq + (b * 32);
                Vector128<sbyte> x0 = AdvSimd.LoadVector128(xp), x1 = AdvSimd.LoadVector128(xp + 16);

                // unit m's low nibbles are elements 4m..4m+3 (against x0), its high nibbles 16+4m..16+4m+3 (x1);
                // Σ nibble·x − 8·Σx is the reference's Σ (nibble − 8)·x
                Vector128<int> s0 = Nibbles<TDot>(p + 16, x0, x1);
                Vector128<int> s1 = Nibbles<TDot>(p + 32, x0, x1);
                Vector128<int> bias = Vector128.Create(xs[b] << 3);
                s0 -= bias;
                s1 -= bias;
                sink.Put4(r, b, s0);
                sink.Put4(r + 4, b, s1);
                Vector128<ushort> h = AdvSimd.LoadVector128((ushort*)p);
                Vector128<float> xd = Vector128.Create(xdp[b]);
                acc0 += Vector128.ConvertToSingle(s0) * (ArmFp16.Lower(h) * xd);
                acc1 += Vector128.ConvertToSingle(s1) * (ArmFp16.Upper(h) * xd);
            }

            acc0.Store(a.Y + r);
            acc1.Store(a.Y + r + 4);
        }

        ScalarKernels.Q4_0R8(a, g1, r1, sink);
    }

    /// <summary>Four consecutive 32-byte units from <paramref name="u"/>, the 16-byte halves at u + 32·i, against <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> Half<TDot>(sbyte* u, Vector128<sbyte> x)
        where TDot : struct, IArmDot =>
        TDot.DotQuads(
            Vector128<int>.Zero, AdvSimd.LoadVector128(u), AdvSimd.LoadVector128(u + 32), AdvSimd.LoadVector128(u + 64), AdvSimd.LoadVector128(u + 96), x);

    /// <summary>The four Q4_0 units' 16-byte halves at q + 32·m: low nibbles against <paramref name="x0"/>, high nibbles against <paramref name="x1"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Nibbles<TDot>(byte* q, Vector128<sbyte> x0, Vector128<sbyte> x1)
        where TDot : struct, IArmDot
    {
        Vector128<byte> mask = Vector128.Create((byte)0x0F);
        Vector128<byte> q0 = AdvSimd.LoadVector128(q), q1 = AdvSimd.LoadVector128(q + 32);
        Vector128<byte> q2 = AdvSimd.LoadVector128(q + 64), q3 = AdvSimd.LoadVector128(q + 96);
        Vector128<int> lo = TDot.DotQuads(
            Vector128<int>.Zero, (q0 & mask).AsSByte(), (q1 & mask).AsSByte(), (q2 & mask).AsSByte(), (q3 & mask).AsSByte(), x0);
        Vector128<int> hi = TDot.DotQuads(
            Vector128<int>.Zero,
            AdvSimd.ShiftRightLogical(q0, 4).AsSByte(),
            AdvSimd.ShiftRightLogical(q1, 4).AsSByte(),
            AdvSimd.ShiftRightLogical(q2, 4).AsSByte(),
            AdvSimd.ShiftRightLogical(q3, 4).AsSByte(),
            x1);
        return lo + hi;
    }
}
