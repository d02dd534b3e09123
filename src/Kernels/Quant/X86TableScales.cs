using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>f16 scales through <see cref="Fp16.Table"/>: the faster way while the weights sit in cache (<see cref="IX86Scales"/>).</summary>
internal struct X86TableScales : IX86Scales
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Load8(byte* p, byte* q, long rb)
    {
        float* f16 = Fp16.Table;
        return Vector256.Create(
            f16[*(ushort*)p], f16[*(ushort*)(p + rb)], f16[*(ushort*)(p + (2 * rb))], f16[*(ushort*)(p + (3 * rb))],
            f16[*(ushort*)q], f16[*(ushort*)(q + rb)], f16[*(ushort*)(q + (2 * rb))], f16[*(ushort*)(q + (3 * rb))]);
    }
}
