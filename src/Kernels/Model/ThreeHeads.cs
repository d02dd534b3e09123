namespace EdgeLlm.Kernels.Model;

internal struct ThreeHeads : IHeadCount
{
    public static int N => 3;
}
