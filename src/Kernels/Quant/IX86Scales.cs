using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// How a matrix × vector kernel turns the f16 scales of eight rows' blocks into floats. Both ways are exact, so the
/// choice changes speed only. The table (<see cref="X86TableScales"/>) costs eight dependent loads and inserts and is
/// faster while the weights sit in cache; the SIMD conversion (<see cref="X86ConvertedScales"/>) has no dependent loads
/// and is faster while they stream from memory. Measured on Zen 4 (Q4_0 eight-row step, one thread): from a 1 MB
/// matrix the conversion ran 19 % slower, from a 128 MB one 17 % faster; in whole-model decode from memory 9–16 %
/// faster (125M and 350M Q4_0, 1 and 2 threads). Q8_0 from memory gained nothing within noise and keeps the table.
/// <see cref="KernelTable"/> picks by whether the model's weights fit the last-level cache.
/// </summary>
internal interface IX86Scales
{
    /// <summary>The scales of rows p, p+rb, p+2rb, p+3rb, q, q+rb, q+2rb, q+3rb (each block's first two bytes).</summary>
    static abstract unsafe Vector256<float> Load8(byte* p, byte* q, long rb);
}
