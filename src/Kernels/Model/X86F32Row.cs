using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Model;

internal unsafe struct X86F32Row : IX86CacheRow
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4(byte* row, int block, out Vector256<float> k0, out Vector256<float> k1, out Vector256<float> k2, out Vector256<float> k3)
    {
        float* p = (float*)row + (block * 32);
        k0 = Vector256.Load(p);
        k1 = Vector256.Load(p + 8);
        k2 = Vector256.Load(p + 16);
        k3 = Vector256.Load(p + 24);
    }
}
