namespace EdgeLlm.Kernels.Tests.NetStandard;

/// <summary>
/// The numeric polyfills of the netstandard2.1 build (src/Kernels/Netstandard, compiled into this project too)
/// against the .NET 10 originals they stand in for: the scalar path must be the same arithmetic on both builds.
/// </summary>
public class NetStandardPolyfillTests
{
    [Test]
    public void TheF16ConversionEqualsDotNetsHalfForAll65536Bits()
    {
        for (int h = 0; h < 65536; h++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)h);
            float actual = HalfBits.ToSingle((ushort)h);
            Assert.That(BitConverter.SingleToUInt32Bits(actual), Is.EqualTo(BitConverter.SingleToUInt32Bits(expected)), $"half 0x{h:X4}");
        }
    }

    [Test]
    public void FusedMultiplyAddIsCorrectlyRoundedWhereADoubleSumWouldRoundTwice()
    {
        // x·y = 2^-24 − 2^-71 exactly (10610063 · 13264529 = 2^47 − 1), z = 1 + 2^-23: the exact sum lies just below
        // the midpoint of 1 + 2^-23 and 1 + 2^-22; the double sum lands on the midpoint and ties to the even 1 + 2^-22.
        float x = 10610063f / (1 << 23), y = 13264529f / (1 << 23) / (1 << 25), z = 1f + MathF.Pow(2, -23);
        float naive = (float)(((double)x * y) + z);
        Assert.That(naive, Is.EqualTo(1f + MathF.Pow(2, -22)), "the case must be one where double rounding goes wrong");
        Assert.That(MathFPolyfills.FusedMultiplyAdd(x, y, z), Is.EqualTo(MathF.FusedMultiplyAdd(x, y, z)));
        Assert.That(MathFPolyfills.FusedMultiplyAdd(-x, y, -z), Is.EqualTo(MathF.FusedMultiplyAdd(-x, y, -z)));
    }

    [Test]
    public void FusedMultiplyAddEqualsTheHardwareInstructionOnRandomAndSpecialInputs()
    {
        var rng = new Random(20261201);
        float[] special = [0f, -0f, 1f, -1f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f, 3e38f];
        int checkedCount = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            float x = Pick(rng, special), y = Pick(rng, special);

            // half of the z values nearly cancel x·y, where rounding is hardest
            float z = rng.Next(2) == 0 ? Pick(rng, special) : -(float)((double)x * y) * (1f + ((float)rng.NextDouble() * 1e-6f));
            float expected = MathF.FusedMultiplyAdd(x, y, z), actual = MathFPolyfills.FusedMultiplyAdd(x, y, z);
            if (float.IsNaN(expected))
            {
                Assert.That(float.IsNaN(actual), Is.True, $"fma({x:R}, {y:R}, {z:R})");
                continue;
            }

            Assert.That(BitConverter.SingleToUInt32Bits(actual), Is.EqualTo(BitConverter.SingleToUInt32Bits(expected)), $"fma({x:R}, {y:R}, {z:R})");
            checkedCount++;
        }

        Assert.That(checkedCount, Is.GreaterThan(900_000));
    }

    private static float Pick(Random rng, float[] special) => rng.Next(50) == 0
        ? special[rng.Next(special.Length)]
        : BitConverter.Int32BitsToSingle(rng.Next(0x0080_0000, 0x7F00_0000) | (rng.Next(2) << 31)) is var f && float.IsFinite(f) ? f : 1f;
}
