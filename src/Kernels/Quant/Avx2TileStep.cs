using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// AVX2: vpmaddubsw into int16 pairs, accumulated in int16 across the block's eight steps, widened once by vpmaddwd.
/// Only for weight bytes below 16 (nibbles): a pair is at most 2·15·127 = 3 810, eight steps 30 480 &lt; 32 767.
/// </summary>
internal struct Avx2TileStep : IX86TileStep
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Step(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x) =>
        Avx2.Add(acc.AsInt16(), Avx2.MultiplyAddAdjacent(w, x)).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Finish(Vector256<int> acc) => Avx2.MultiplyAddAdjacent(acc.AsInt16(), Vector256.Create((short)1));
}
