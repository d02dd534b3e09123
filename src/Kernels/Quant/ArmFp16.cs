using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// f16 → f32 in AdvSIMD lanes, bit for bit <see cref="Fp16.Table"/> (a test compares all 65 536 patterns). .NET
/// exposes no f16 vector conversion (fcvtl) on arm64, so: the sign and 15 magnitude bits moved into a float's sign,
/// exponent and mantissa fields and scaled by 2^112 (the exponent bias difference; exact for normal and subnormal
/// halves and signed zeros), and exponent 31, which that leaves at |f| ≥ 65536 (above the largest finite half, 65504),
/// made inf or quiet NaN with the payload kept — the result of <see cref="X86Fp16"/>'s formula in ten instructions per
/// four lanes (the sign rides through the multiply; the specials are found on the product with facge/facgt). The
/// interleaved kernels convert a block's eight scales with it instead of eight dependent table loads
/// (docs/interleaved.md).
/// </summary>
internal static class ArmFp16
{
    /// <summary>2^112 (the literal's nearest float is exactly it): float exponent bias 127 minus half bias 15.</summary>
    private const float TwoPow112 = 5.192297E+33f;

    /// <summary>The f16 patterns in the high 16 bits of each lane (low bits zero) as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FromHigh16(Vector128<int> v)
    {
        // sign to bit 31, exponent and mantissa to bits 27..13: an arithmetic shift by 3, then clear bits 30..28
        Vector128<int> t = AdvSimd.ShiftRightArithmetic(v, 3) & Vector128.Create(unchecked((int)0x8FFF_FFFF));
        Vector128<float> f = t.AsSingle() * Vector128.Create(TwoPow112);
        Vector128<float> special = AdvSimd.AbsoluteCompareGreaterThanOrEqual(f, Vector128.Create(65536f));
        Vector128<int> nan = AdvSimd.AbsoluteCompareGreaterThan(f, Vector128.Create(65536f)).AsInt32();
        Vector128<int> infNan = t | Vector128.Create(0x7F80_0000) | (nan & Vector128.Create(0x0040_0000));
        return AdvSimd.BitwiseSelect(special, infNan.AsSingle(), f);
    }

    /// <summary>The f16 patterns in the low 16 bits of each lane (upper bits zero) as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<int> h) => FromHigh16(h << 16);

    /// <summary>Halves 0..3 of eight f16 patterns as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Lower(Vector128<ushort> h) => FromHigh16(AdvSimd.Arm64.ZipLow(Vector128<ushort>.Zero, h).AsInt32());

    /// <summary>Halves 4..7 of eight f16 patterns as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Upper(Vector128<ushort> h) => FromHigh16(AdvSimd.Arm64.ZipHigh(Vector128<ushort>.Zero, h).AsInt32());
}
