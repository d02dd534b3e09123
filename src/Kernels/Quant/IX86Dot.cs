using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>unsigned × signed int8 dot of 32 bytes into 8 int32 lanes (exact for the operand ranges used here).</summary>
internal interface IX86Dot
{
    static abstract Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> s);

    /// <summary>Dot(u0, s0) + Dot(u1, s1) for u below 16 (nibbles), where int16 pair sums cannot overflow.</summary>
    static abstract Vector256<int> Dot2(Vector256<byte> u0, Vector256<sbyte> s0, Vector256<byte> u1, Vector256<sbyte> s1);
}
