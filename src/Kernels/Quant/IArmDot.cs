using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>The arm64 signed int8 dot products, exact in int32 (SDOT, or its AdvSIMD twin).</summary>
internal interface IArmDot
{
    /// <summary>Signed int8 dot of two 16-byte halves of a block into 4 int32 lanes (partial sums).</summary>
    static abstract Vector128<int> Dot(Vector128<sbyte> w0, Vector128<sbyte> w1, Vector128<sbyte> x0, Vector128<sbyte> x1);

    /// <summary>
    /// Rows in lanes (the row-interleaved layout, docs/interleaved.md): <paramref name="w0"/>..<paramref name="w3"/>
    /// are four 4-byte units of four rows (unit u, row k's bytes at 4k), <paramref name="x"/> the 16 activations of
    /// those units (unit u against bytes 4u..4u+3). Lane k of the result is
    /// <paramref name="acc"/>[k] + Σ_u Σ_j w_u[4k + j] · x[4u + j], exact for weight bytes −128..127 and |x| ≤ 127.
    /// </summary>
    static abstract Vector128<int> DotQuads(Vector128<int> acc, Vector128<sbyte> w0, Vector128<sbyte> w1, Vector128<sbyte> w2, Vector128<sbyte> w3, Vector128<sbyte> x);
}
