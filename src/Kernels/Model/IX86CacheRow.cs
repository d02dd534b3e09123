using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Model;

/// <summary>A cache row as 8-float chunks: four chunks (one 32-value block) at a time.</summary>
internal unsafe interface IX86CacheRow
{
    static abstract void Load4(byte* row, int block, out Vector256<float> k0, out Vector256<float> k1, out Vector256<float> k2, out Vector256<float> k3);
}
