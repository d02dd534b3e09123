using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Model;

internal unsafe struct ArmF32Row : IArmCacheRow
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4(byte* row, int half, out Vector128<float> v0, out Vector128<float> v1, out Vector128<float> v2, out Vector128<float> v3)
    {
        float* p = (float*)row + (half * 16);
        v0 = Vector128.Load(p);
        v1 = Vector128.Load(p + 4);
        v2 = Vector128.Load(p + 8);
        v3 = Vector128.Load(p + 12);
    }
}
