using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// f16 → f32 in SIMD lanes, bit for bit <see cref="Fp16.Table"/> (the scalar reference; a test compares all 65 536
/// patterns): the 15 magnitude bits shifted into a float's exponent and mantissa fields and scaled by 2^112 (the
/// exponent bias difference, exact for normal and subnormal halves alike), exponent 31 made inf or quiet NaN with the
/// payload kept, then the sign. Where a decode step streams its weights from memory, this replaces the table's
/// dependent loads in the matrix × vector kernels (docs/architecture.md, "Kernel table and paths").
/// </summary>
internal static class X86Fp16
{
    /// <summary>2^112 (the literal's nearest float is exactly it): float exponent bias 127 minus half bias 15.</summary>
    private const float TwoPow112 = 5.192297E+33f;

    /// <summary>The f16 patterns in the low 16 bits of each lane (upper bits zero) as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<int> h)
    {
        Vector128<int> magnitude = h & Vector128.Create(0x7FFF);
        Vector128<int> t = Sse2.ShiftLeftLogical(magnitude, 13);
        Vector128<float> f = t.AsSingle() * Vector128.Create(TwoPow112);
        Vector128<int> special = Sse2.CompareEqual(h & Vector128.Create(0x7C00), Vector128.Create(0x7C00));
        Vector128<int> nan = Sse2.CompareGreaterThan(magnitude, Vector128.Create(0x7C00));
        Vector128<int> infNan = t | Vector128.Create(0x7F80_0000) | (nan & Vector128.Create(0x0040_0000));
        f = Sse41.BlendVariable(f, infNan.AsSingle(), special.AsSingle());
        return (f.AsInt32() | Sse2.ShiftLeftLogical(h & Vector128.Create(0x8000), 16)).AsSingle();
    }

    /// <summary>The f16 patterns in the low 16 bits of each lane (upper bits zero) as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<int> h)
    {
        Vector256<int> magnitude = h & Vector256.Create(0x7FFF);
        Vector256<int> t = Avx2.ShiftLeftLogical(magnitude, 13);
        Vector256<float> f = t.AsSingle() * Vector256.Create(TwoPow112);
        Vector256<int> special = Avx2.CompareEqual(h & Vector256.Create(0x7C00), Vector256.Create(0x7C00));
        Vector256<int> nan = Avx2.CompareGreaterThan(magnitude, Vector256.Create(0x7C00));
        Vector256<int> infNan = t | Vector256.Create(0x7F80_0000) | (nan & Vector256.Create(0x0040_0000));
        f = Avx.BlendVariable(f, infNan.AsSingle(), special.AsSingle());
        return (f.AsInt32() | Avx2.ShiftLeftLogical(h & Vector256.Create(0x8000), 16)).AsSingle();
    }
}
