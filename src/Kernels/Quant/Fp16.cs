using System.Runtime.InteropServices;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// IEEE binary16 conversions. <see cref="FromSingle"/> rounds to nearest, ties to even, as F16C's
/// <c>vcvtps2ph</c> with rounding mode 0 (what ggml's <c>GGML_FP32_TO_FP16</c> does on this class of CPU);
/// <see cref="ToSingle"/> is exact and reads a 64K-entry table.
/// </summary>
public static unsafe class Fp16
{
    /// <summary>f16 bits → f32 for all 65 536 patterns; lives for the process (256 KB, 64-byte aligned).</summary>
    internal static readonly float* Table = BuildTable();

    /// <summary>Exact f16 → f32.</summary>
    public static float ToSingle(ushort h) => Table[h];

    /// <summary>f32 → f16, round to nearest even; overflow → ±inf; NaN stays NaN (quiet, top payload bits kept).</summary>
    public static ushort FromSingle(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        uint sign = (bits >> 16) & 0x8000u;
        uint abs = bits & 0x7FFF_FFFFu;

        if (abs >= 0x7F80_0000u)
        {
            // inf, or NaN made quiet with the top mantissa bits kept (as F16C does)
            return (ushort)(sign | (abs == 0x7F80_0000u ? 0x7C00u : 0x7E00u | ((abs >> 13) & 0x3FFu)));
        }

        if (abs >= 0x477F_F000u)
        {
            // >= 65520 = halfway between 65504 (max half) and 65536: ties to even → inf
            return (ushort)(sign | 0x7C00u);
        }

        if (abs >= 0x3880_0000u)
        {
            // normal half (>= 2^-14): drop 13 mantissa bits with round-half-even; a carry may bump the exponent
            uint rounded = abs + 0x0FFFu + ((abs >> 13) & 1u);
            return (ushort)(sign | ((rounded - 0x3800_0000u) >> 13));
        }

        if (abs <= 0x3300_0000u)
        {
            // <= 2^-25 (half of the smallest subnormal; the tie goes to even = 0)
            return (ushort)sign;
        }

        // subnormal half: value = m * 2^(e-150), in units of 2^-24 that is m >> (126 - e)
        int e = (int)(abs >> 23);
        uint m = (abs & 0x7F_FFFFu) | 0x80_0000u;
        int shift = 126 - e; // 14..24 here
        uint q = m >> shift;
        uint rem = m & ((1u << shift) - 1u);
        uint half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1u) != 0))
        {
            q++;
        }

        return (ushort)(sign | q);
    }

    /// <summary>Converts a run of f16 values (exact).</summary>
    public static void ToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length)
        {
            throw new ArgumentException("destination too short", nameof(dst));
        }

        for (int i = 0; i < src.Length; i++)
        {
            dst[i] = Table[src[i]];
        }
    }

    private static float* BuildTable()
    {
        var t = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int h = 0; h < 65536; h++)
        {
#if NET
            t[h] = (float)BitConverter.UInt16BitsToHalf((ushort)h);
#else
            t[h] = HalfBits.ToSingle((ushort)h);
#endif
        }

        return t;
    }
}
