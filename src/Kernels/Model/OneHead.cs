namespace EdgeLlm.Kernels.Model;

internal struct OneHead : IHeadCount
{
    public static int N => 1;
}
