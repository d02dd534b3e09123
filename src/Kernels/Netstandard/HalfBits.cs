namespace EdgeLlm.Kernels;

/// <summary>netstandard2.1 stand-in for <c>(float)BitConverter.UInt16BitsToHalf(h)</c>: exact IEEE half → float.</summary>
internal static class HalfBits
{
    public static float ToSingle(ushort h)
    {
        uint sign = (uint)(h & 0x8000) << 16;
        int exp = (h >> 10) & 0x1F;
        uint mant = (uint)(h & 0x3FF);
        uint bits;
        if (exp == 0x1F)
        {
            // infinity; a NaN keeps its payload and is made quiet, as the .NET conversion does
            bits = sign | (mant == 0 ? 0x7F80_0000u : 0x7FC0_0000u | (mant << 13));
        }
        else if (exp != 0)
        {
            bits = sign | ((uint)(exp + 112) << 23) | (mant << 13);
        }
        else if (mant == 0)
        {
            bits = sign;
        }
        else
        {
            // subnormal half: mant · 2^-24, exact in a float
            return BitConverter.Int32BitsToSingle((int)sign) + ((sign != 0 ? -1f : 1f) * mant * (1f / 16777216f));
        }

        return BitConverter.Int32BitsToSingle((int)bits);
    }
}
