namespace EdgeLlm.Kernels.Model;

internal struct TwoHeads : IHeadCount
{
    public static int N => 2;
}
