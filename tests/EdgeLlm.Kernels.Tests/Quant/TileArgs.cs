using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>The kernel arguments the tile tests hand to a prefill tile or matrix × vector kernel directly.</summary>
internal static unsafe class TileArgs
{
    /// <summary>
    /// <paramref name="tokens"/> inputs of <paramref name="xq"/> against <paramref name="m"/>, outputs
    /// <paramref name="yStride"/> floats apart from <paramref name="y"/>; no kernel pointers (the caller calls one).
    /// </summary>
    public static MatVecArgs For(in WeightMatrix m, Q8Activations xq, int tokens, float* y, int yStride) => new()
    {
        W = m.Data,
        RowBytes = m.RowBytes,
        Cols = m.Cols,
        Blocks = m.Cols / 32,
        Xq = xq.Qs,
        Xd = xq.Scales,
        Xs = xq.Sums,
        Y = y,
        Type = m.Type,
        Tokens = tokens,
        XStride = xq.Capacity,
        XBlockStride = xq.Capacity / 32,
        YStride = yStride,
    };
}
