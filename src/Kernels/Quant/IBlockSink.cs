#if NET
using System.Runtime.Intrinsics;
#endif

namespace EdgeLlm.Kernels.Quant;

/// <summary>Receives each block's int32 dot product (tests record them; the production sink compiles away).</summary>
internal interface IBlockSink
{
#if NET
    /// <summary>Sums of block <paramref name="block"/> for rows row .. row + 3 (the SIMD kernels).</summary>
    void Put4(int row, int block, Vector128<int> sums);
#endif

    /// <summary>Sum of block <paramref name="block"/> of one row.</summary>
    void Put1(int row, int block, int sum);
}
