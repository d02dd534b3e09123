using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>Q8_0 blocks made floats in registers: d·q is exact, so the values equal the dequantized row's.</summary>
internal unsafe struct X86Q8Row : IX86CacheRow
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4(byte* row, int block, out Vector256<float> k0, out Vector256<float> k1, out Vector256<float> k2, out Vector256<float> k3)
    {
        byte* blk = row + (block * Q8_0.BlockBytes);
        Vector256<float> d = Vector256.Create(Fp16.Table[*(ushort*)blk]);
        sbyte* q = (sbyte*)(blk + 2);
        k0 = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q)) * d;
        k1 = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + 8)) * d;
        k2 = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + 16)) * d;
        k3 = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + 24)) * d;
    }
}
