namespace EdgeLlm.Kernels.Model;

internal struct FourHeads : IHeadCount
{
    public static int N => 4;
}
