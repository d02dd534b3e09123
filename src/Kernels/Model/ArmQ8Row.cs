using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>Half a Q8_0 block made floats in registers: d·q is exact, so the values equal the dequantized row's.</summary>
internal unsafe struct ArmQ8Row : IArmCacheRow
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4(byte* row, int half, out Vector128<float> v0, out Vector128<float> v1, out Vector128<float> v2, out Vector128<float> v3)
    {
        byte* blk = row + ((half >> 1) * Q8_0.BlockBytes);
        Vector128<float> d = Vector128.Create(Fp16.Table[*(ushort*)blk]);
        Vector128<sbyte> q = AdvSimd.LoadVector128((sbyte*)(blk + 2 + ((half & 1) * 16)));
        Vector128<short> lo = AdvSimd.SignExtendWideningLower(q.GetLower());
        Vector128<short> hi = AdvSimd.SignExtendWideningUpper(q);
        v0 = Vector128.ConvertToSingle(AdvSimd.SignExtendWideningLower(lo.GetLower())) * d;
        v1 = Vector128.ConvertToSingle(AdvSimd.SignExtendWideningUpper(lo)) * d;
        v2 = Vector128.ConvertToSingle(AdvSimd.SignExtendWideningLower(hi.GetLower())) * d;
        v3 = Vector128.ConvertToSingle(AdvSimd.SignExtendWideningUpper(hi)) * d;
    }
}
