using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>f16 scales converted in SIMD lanes (<see cref="X86Fp16"/>): the faster way while the weights stream from memory (<see cref="IX86Scales"/>).</summary>
internal struct X86ConvertedScales : IX86Scales
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Load8(byte* p, byte* q, long rb) =>
        X86Fp16.ToSingle(Vector256.Create(
            (int)*(ushort*)p, *(ushort*)(p + rb), *(ushort*)(p + (2 * rb)), *(ushort*)(p + (3 * rb)),
            *(ushort*)q, *(ushort*)(q + rb), *(ushort*)(q + (2 * rb)), *(ushort*)(q + (3 * rb))));
}
