using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// f16 → f32 in AdvSIMD lanes, bit for bit <see cref="Fp16.Table"/> (a test compares all 65 536 patterns): the
/// formula of <see cref="X86Fp16"/> (15 magnitude bits into a float's fields, × 2^112, exponent 31 made inf or
/// quiet NaN with the payload kept, then the sign). .NET exposes no f16 vector conversion (fcvtl) on arm64. The
/// interleaved kernels read a block's eight scales with one load and convert them here instead of eight dependent
/// table loads (docs/interleaved.md).
/// </summary>
internal static class ArmFp16
{
    /// <summary>2^112 (the literal's nearest float is exactly it): float exponent bias 127 minus half bias 15.</summary>
    private const float TwoPow112 = 5.192297E+33f;

    /// <summary>The f16 patterns in the low 16 bits of each lane (upper bits zero) as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<int> h)
    {
        Vector128<int> magnitude = h & Vector128.Create(0x7FFF);
        Vector128<int> t = magnitude << 13;
        Vector128<float> f = t.AsSingle() * Vector128.Create(TwoPow112);
        Vector128<int> special = AdvSimd.CompareGreaterThanOrEqual(magnitude, Vector128.Create(0x7C00));
        Vector128<int> nan = AdvSimd.CompareGreaterThan(magnitude, Vector128.Create(0x7C00));
        Vector128<int> infNan = t | Vector128.Create(0x7F80_0000) | (nan & Vector128.Create(0x0040_0000));
        f = AdvSimd.BitwiseSelect(special.AsSingle(), infNan.AsSingle(), f);
        return (f.AsInt32() | ((h & Vector128.Create(0x8000)) << 16)).AsSingle();
    }

    /// <summary>Halves 0..3 of eight f16 patterns as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Lower(Vector128<ushort> h) => ToSingle(AdvSimd.ZeroExtendWideningLower(h.GetLower()).AsInt32());

    /// <summary>Halves 4..7 of eight f16 patterns as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Upper(Vector128<ushort> h) => ToSingle(AdvSimd.ZeroExtendWideningUpper(h).AsInt32());
}
