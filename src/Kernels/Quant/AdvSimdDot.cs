using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// Plain AdvSIMD (Cortex-A72, Raspberry Pi 4): smull/smlal2 to int16 (a lane holds two products, |·| ≤ 2·128·127
/// &lt; 32767, so exact even for a weight byte of −128), then sadalp to int32.
/// </summary>
internal struct AdvSimdDot : IArmDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Vector128<sbyte> w0, Vector128<sbyte> w1, Vector128<sbyte> x0, Vector128<sbyte> x1)
    {
        Vector128<short> m0 = AdvSimd.MultiplyWideningUpperAndAdd(AdvSimd.MultiplyWideningLower(w0.GetLower(), x0.GetLower()), w0, x0);
        Vector128<short> m1 = AdvSimd.MultiplyWideningUpperAndAdd(AdvSimd.MultiplyWideningLower(w1.GetLower(), x1.GetLower()), w1, x1);
        return AdvSimd.AddPairwiseWideningAndAdd(AdvSimd.AddPairwiseWidening(m0), m1);
    }

    /// <summary>
    /// The twin of sdot by element: each activation quadruplet broadcast to all four lanes, then smull/smlal of two
    /// units into int16 (rows 0–1 from the low 8 bytes, rows 2–3 from the high 8; a lane holds two products of the
    /// same row, |·| ≤ 2·128·127), sadalp to int32 ([row, row, row′, row′]) and one addp to a lane per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotQuads(Vector128<int> acc, Vector128<sbyte> w0, Vector128<sbyte> w1, Vector128<sbyte> w2, Vector128<sbyte> w3, Vector128<sbyte> x)
    {
        Vector128<int> xi = x.AsInt32();
        Vector128<sbyte> q0 = AdvSimd.DuplicateSelectedScalarToVector128(xi, 0).AsSByte();
        Vector128<sbyte> q1 = AdvSimd.DuplicateSelectedScalarToVector128(xi, 1).AsSByte();
        Vector128<sbyte> q2 = AdvSimd.DuplicateSelectedScalarToVector128(xi, 2).AsSByte();
        Vector128<sbyte> q3 = AdvSimd.DuplicateSelectedScalarToVector128(xi, 3).AsSByte();
        Vector128<short> p01 = AdvSimd.MultiplyWideningLowerAndAdd(AdvSimd.MultiplyWideningLower(w0.GetLower(), q0.GetLower()), w1.GetLower(), q1.GetLower());
        Vector128<short> p23 = AdvSimd.MultiplyWideningUpperAndAdd(AdvSimd.MultiplyWideningUpper(w0, q0), w1, q1);
        Vector128<int> s01 = AdvSimd.AddPairwiseWidening(p01);
        Vector128<int> s23 = AdvSimd.AddPairwiseWidening(p23);
        p01 = AdvSimd.MultiplyWideningLowerAndAdd(AdvSimd.MultiplyWideningLower(w2.GetLower(), q2.GetLower()), w3.GetLower(), q3.GetLower());
        p23 = AdvSimd.MultiplyWideningUpperAndAdd(AdvSimd.MultiplyWideningUpper(w2, q2), w3, q3);
        s01 = AdvSimd.AddPairwiseWideningAndAdd(s01, p01);
        s23 = AdvSimd.AddPairwiseWideningAndAdd(s23, p23);
        return acc + AdvSimd.Arm64.AddPairwise(s01, s23);
    }
}
