namespace EdgeLlm.Kernels;

/// <summary>
/// netstandard2.1 polyfill of <c>MathF.FusedMultiplyAdd</c>, correctly rounded like the hardware instruction so the
/// scalar path gives the same bits as on .NET 10: x·y is exact in a double (24 + 24 bits ≤ 53), the sum is rounded
/// to odd (the error of the double sum by TwoSum; an inexact sum with an even last bit moves one ulp towards the
/// error), and a value rounded to odd with at least two more bits than a float rounds to the correct float.
/// </summary>
internal static class MathFPolyfills
{
    extension(MathF)
    {
        public static float FusedMultiplyAdd(float x, float y, float z)
        {
            double p = (double)x * y;
            double s = p + z;
            if (double.IsNaN(s) || double.IsInfinity(s))
            {
                return (float)s;
            }

            double bv = s - p;
            double err = (p - (s - bv)) + (z - bv);
            long bits = BitConverter.DoubleToInt64Bits(s);
            if (err != 0 && (bits & 1) == 0)
            {
                bits += (err > 0) == (s > 0) ? 1 : -1;
                s = BitConverter.Int64BitsToDouble(bits);
            }

            return (float)s;
        }
    }
}
