using System.Runtime.Intrinsics;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// One step of a prefill tile (<see cref="X86Gemm"/>): eight weight rows' next four unsigned bytes (one row per 32-bit
/// lane) times four broadcast activation bytes, added to a per-row accumulator; <see cref="Finish"/> turns the
/// accumulator of one block (eight steps) into eight exact int32 row sums. See docs/prefill.md.
/// </summary>
internal interface IX86TileStep
{
    static abstract Vector256<int> Step(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x);

    static abstract Vector256<int> Finish(Vector256<int> acc);
}
