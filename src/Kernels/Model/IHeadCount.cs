namespace EdgeLlm.Kernels.Model;

/// <summary>How many query heads share one KV head (grouped-query attention), as a compile-time constant.</summary>
internal interface IHeadCount
{
    static abstract int N { get; }
}
