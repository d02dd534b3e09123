using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>signed int8 dot of two 16-byte halves of a block into 4 int32 lanes (partial sums).</summary>
internal interface IArmDot
{
    static abstract Vector128<int> Dot(Vector128<sbyte> w0, Vector128<sbyte> w1, Vector128<sbyte> x0, Vector128<sbyte> x1);
}
