using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Model;

/// <summary>A cache row as 4-float vectors for <see cref="ArmAttention"/>: four of them (half a 32-value block) at a time.</summary>
internal unsafe interface IArmCacheRow
{
    static abstract void Load4(byte* row, int half, out Vector128<float> v0, out Vector128<float> v1, out Vector128<float> v2, out Vector128<float> v3);
}
