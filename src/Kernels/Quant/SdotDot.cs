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
}
