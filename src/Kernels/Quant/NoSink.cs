using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

internal struct NoSink : IBlockSink
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Put4(int row, int block, Vector128<int> sums)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Put1(int row, int block, int sum)
    {
    }
}
