using System.Runtime.CompilerServices;
#if NET
using System.Runtime.Intrinsics;
#endif

namespace EdgeLlm.Kernels.Quant;

internal struct NoSink : IBlockSink
{
#if NET
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Put4(int row, int block, Vector128<int> sums)
    {
    }
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Put1(int row, int block, int sum)
    {
    }
}
