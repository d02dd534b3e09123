using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Quant;

public class Fp16Tests
{
    [Test]
    public void ToSingleMatchesHalfForAll65536Patterns()
    {
        for (int h = 0; h < 65536; h++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)h);
            float actual = Fp16.ToSingle((ushort)h);
            if (float.IsNaN(expected))
            {
                Assert.That(float.IsNaN(actual), $"0x{h:X4}");
            }
            else if (BitConverter.SingleToUInt32Bits(expected) != BitConverter.SingleToUInt32Bits(actual))
            {
                Assert.Fail($"0x{h:X4}: {actual} != {expected}");
            }
        }
    }

    [Test]
    public void FromSingleRoundTripsEveryNonNaNHalf()
    {
        for (int h = 0; h < 65536; h++)
        {
            float f = Fp16.ToSingle((ushort)h);
            if (!float.IsNaN(f) && Fp16.FromSingle(f) != h)
            {
                Assert.Fail($"0x{h:X4} → {f} → 0x{Fp16.FromSingle(f):X4}");
            }
        }
    }

    [TestCase(65504f, (ushort)0x7BFF)]
    [TestCase(65519.996f, (ushort)0x7BFF)] // just below the tie → max half
    [TestCase(65520f, (ushort)0x7C00)]     // tie between 65504 (odd mantissa) and 65536 → even → inf
    [TestCase(-1e9f, (ushort)0xFC00)]
    [TestCase(1f, (ushort)0x3C00)]
    [TestCase(-2f, (ushort)0xC000)]
    [TestCase(1.00048828125f, (ushort)0x3C00)] // 1 + 2^-11: tie → even (1.0)
    [TestCase(1.00146484375f, (ushort)0x3C02)] // 1 + 3·2^-11: tie → even (1 + 2^-9)
    [TestCase(6.103515625e-05f, (ushort)0x0400)] // 2^-14, smallest normal
    [TestCase(5.9604644775390625e-08f, (ushort)0x0001)] // 2^-24, smallest subnormal
    [TestCase(2.98023223876953125e-08f, (ushort)0x0000)] // 2^-25: tie → even (0)
    [TestCase(2.9802326e-08f, (ushort)0x0001)]           // just above 2^-25
    [TestCase(8.940696716308594e-08f, (ushort)0x0002)]   // 1.5·2^-24: tie → even (2)
    [TestCase(1.4901161193847656e-07f, (ushort)0x0002)]  // 2.5·2^-24: tie → even (2)
    [TestCase(-0f, (ushort)0x8000)]
    [TestCase(float.PositiveInfinity, (ushort)0x7C00)]
    [TestCase(float.NegativeInfinity, (ushort)0xFC00)]
    public void FromSingleRoundsToNearestEven(float f, ushort expected) =>
        Assert.That(Fp16.FromSingle(f), Is.EqualTo(expected), $"{f:R}");

    [Test]
    public void FromSingleKeepsNaN()
    {
        Assert.That(Fp16.FromSingle(float.NaN) & 0x7C00, Is.EqualTo(0x7C00));
        Assert.That(Fp16.FromSingle(float.NaN) & 0x03FF, Is.Not.Zero);
    }

    [Test]
    public void FromSingleMatchesHalfOnRandomBitPatterns()
    {
        var rng = new Random(1234);
        for (int i = 0; i < 2_000_000; i++)
        {
            // bias towards the half range so most samples exercise the rounding, not just overflow/underflow
            uint bits = i % 2 == 0
                ? (uint)rng.NextInt64(0, 1L << 32)
                : ((uint)rng.Next(0x3280, 0x4790) << 16) | (uint)rng.Next(0, 65536) | (rng.Next(2) == 0 ? 0u : 0x8000_0000u);
            float f = BitConverter.UInt32BitsToSingle(bits);
            if (float.IsNaN(f))
            {
                continue;
            }

            ushort expected = BitConverter.HalfToUInt16Bits((Half)f);
            ushort actual = Fp16.FromSingle(f);
            if (expected != actual)
            {
                Assert.Fail($"0x{bits:X8} ({f:R}): 0x{actual:X4} != 0x{expected:X4}");
            }
        }
    }
}
