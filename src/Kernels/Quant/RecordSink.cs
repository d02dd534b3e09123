using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>Writes sums[row * Blocks + block].</summary>
internal unsafe struct RecordSink : IBlockSink
{
    public int* Sums;
    public int Blocks;

    public readonly void Put4(int row, int block, Vector128<int> sums)
    {
        for (int i = 0; i < 4; i++)
        {
            Sums[((long)(row + i) * Blocks) + block] = sums.GetElement(i);
        }
    }

    public readonly void Put1(int row, int block, int sum) => Sums[((long)row * Blocks) + block] = sum;
}
