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
}
