using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeLlm.Kernels.Quant;

/// <summary>ARMv8.2 DotProd (Cortex-A76, Raspberry Pi 5): sdot, four products per int32 lane.</summary>
internal struct SdotDot : IArmDot
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Vector128<sbyte> w0, Vector128<sbyte> w1, Vector128<sbyte> x0, Vector128<sbyte> x1) =>
        Dp.DotProduct(Dp.DotProduct(Vector128<int>.Zero, w0, x0), w1, x1);

    /// <summary>sdot by element: one instruction per unit, its four rows against quadruplet u of the activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotQuads(Vector128<int> acc, Vector128<sbyte> w0, Vector128<sbyte> w1, Vector128<sbyte> w2, Vector128<sbyte> w3, Vector128<sbyte> x) =>
        Dp.DotProductBySelectedQuadruplet(
            Dp.DotProductBySelectedQuadruplet(
                Dp.DotProductBySelectedQuadruplet(Dp.DotProductBySelectedQuadruplet(acc, w0, x, 0), w1, x, 1), w2, x, 2),
            w3,
            x,
            3);
}
