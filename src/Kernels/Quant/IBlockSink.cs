using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>Receives each block's int32 dot product (tests record them; the production sink compiles away).</summary>
internal interface IBlockSink
{
    /// <summary>Sums of block <paramref name="block"/> for rows row .. row + 3.</summary>
    void Put4(int row, int block, Vector128<int> sums);

    /// <summary>Sum of block <paramref name="block"/> of one row.</summary>
    void Put1(int row, int block, int sum);
}
