using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>Q8_0/Q4_0 layouts, ggml reference quantizer numerics (golden blocks), round-trip bounds, activations.</summary>
public class BlockFormatTests
{
    [Test]
    public void ConstantsMatchGgml()
    {
        Assert.That(GgmlTypeInfo.BlockBytes(GgmlType.Q8_0), Is.EqualTo(Q8_0.BlockBytes));
        Assert.That(GgmlTypeInfo.BlockBytes(GgmlType.Q4_0), Is.EqualTo(Q4_0.BlockBytes));
        Assert.That(GgmlTypeInfo.BlockSize(GgmlType.Q8_0), Is.EqualTo(Q8_0.BlockSize));
        Assert.That(GgmlTypeInfo.BlockSize(GgmlType.Q4_0), Is.EqualTo(Q4_0.BlockSize));
    }

    [Test]
    public void Q8_0GoldenBlock()
    {
        // amax = 127 → d = 1 (f16 0x3C00), id = 1; roundf rounds halves away from zero
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;   // → 3 (round-half-even would give 2)
        x[2] = -2.5f;  // → -3
        x[3] = 0.5f;   // → 1
        x[4] = -0.49f; // → 0
        x[5] = -127f;
        x[6] = 63.5f;  // → 64
        x[7] = 1.4999f; // → 1
        byte[] y = new byte[34];
        Q8_0.Quantize(x, y);
        byte[] expected = new byte[34];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        sbyte[] q = [127, 3, -3, 1, 0, -127, 64, 1];
        for (int i = 0; i < q.Length; i++)
        {
            expected[2 + i] = (byte)q[i];
        }

        Assert.That(y, Is.EqualTo(expected));
    }

    [Test]
    public void Q8_0GoldenScaleIsF16OfAmaxOver127()
    {
        // amax = 1 → d = 1/127 = 0.007874016 → f16 0x2008 (0.0078735); id = 127 exactly → x * 127
        float[] x = new float[32];
        x[0] = -1f;
        x[1] = 0.5f;  // 63.5 → 64 (away from zero)
        x[2] = 0.25f; // 31.75 → 32
        byte[] y = new byte[34];
        Q8_0.Quantize(x, y);
        Assert.That(y[0] | (y[1] << 8), Is.EqualTo(Fp16.FromSingle(1f / 127f)));
        Assert.That(y[0] | (y[1] << 8), Is.EqualTo(0x2008));
        Assert.That((sbyte)y[2], Is.EqualTo(-127));
        Assert.That((sbyte)y[3], Is.EqualTo(64));
        Assert.That((sbyte)y[4], Is.EqualTo(32));
    }

    [Test]
    public void Q4_0GoldenBlock()
    {
        // max (by magnitude, sign kept) = -8 → d = -8 / -8 = 1 (0x3C00), id = 1; nibble = min(15, trunc(x + 8.5))
        float[] x = new float[32];
        x[0] = -8f;    // 0.5 → 0
        x[1] = 7f;     // 15.5 → 15
        x[2] = 0f;     // 8
        x[3] = -4.6f;  // 3.9 → 3
        x[4] = -4.5f;  // 4.0 → 4
        x[5] = 2.5f;   // 11.0 → 11 (halves always go up)
        x[6] = 7.9f;   // 16.4 → 16 → clamped 15
        x[16] = 1.5f;  // element 16: high nibble of byte 0 → 10
        x[17] = -7.6f; // 0.9 → 0
        x[31] = 3.2f;  // 11.7 → 11, high nibble of byte 15
        byte[] y = new byte[18];
        Q4_0.Quantize(x, y);

        int[] nib = new int[32];
        Array.Fill(nib, 8);
        nib[0] = 0;
        nib[1] = 15;
        nib[3] = 3;
        nib[4] = 4;
        nib[5] = 11;
        nib[6] = 15;
        nib[16] = 10;
        nib[17] = 0;
        nib[31] = 11;
        byte[] expected = new byte[18];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        for (int j = 0; j < 16; j++)
        {
            expected[2 + j] = (byte)(nib[j] | (nib[j + 16] << 4));
        }

        Assert.That(y, Is.EqualTo(expected));
        Assert.That(y[2], Is.EqualTo(0xA0)); // element 0 low nibble, element 16 high nibble
    }

    [Test]
    public void Q4_0KeepsTheSignOfTheFirstLargestMagnitude()
    {
        float[] x = new float[32];
        x[3] = 4f;   // first of the two largest magnitudes wins: max = +4 → d = -0.5
        x[9] = -4f;
        x[10] = 2f;
        byte[] y = new byte[18];
        Q4_0.Quantize(x, y);
        Assert.That(y[0] | (y[1] << 8), Is.EqualTo(Fp16.FromSingle(-0.5f)));
        Assert.That(y[2 + 3] & 0x0F, Is.EqualTo(0));   // 4 * -2 = -8 → 0.5 → 0
        Assert.That(y[2 + 9] & 0x0F, Is.EqualTo(15));  // -4 * -2 = 8 → 16.5 → 16 → 15
        Assert.That(y[2 + 10] & 0x0F, Is.EqualTo(4));  // 2 * -2 = -4 → 4.5 → 4
    }

    [Test]
    public void AllZeroBlocksQuantizeToZeroScale()
    {
        float[] x = new float[64];
        byte[] q8 = new byte[68];
        byte[] q4 = new byte[36];
        Q8_0.Quantize(x, q8);
        Q4_0.Quantize(x, q4);
        Assert.That(q8, Is.All.EqualTo((byte)0));
        // ggml: d = max / -8 = 0f / -8 = -0f, stored as f16 0x8000
        Assert.That(q4[0], Is.EqualTo(0x00));
        Assert.That(q4[1], Is.EqualTo(0x80));
        Assert.That(q4[18], Is.EqualTo(0x00));
        Assert.That(q4[19], Is.EqualTo(0x80));
        Assert.That(q4.AsSpan(2, 16).ToArray(), Is.All.EqualTo((byte)0x88));
        Assert.That(q4.AsSpan(20, 16).ToArray(), Is.All.EqualTo((byte)0x88));
    }

    [Test]
    public void Q8_0RoundTripErrorIsAtMostHalfAStep()
    {
        var rng = new Random(7);
        float[] x = RandomVector(rng, 1536);
        byte[] q = new byte[1536 / 32 * 34];
        float[] back = new float[1536];
        Q8_0.Quantize(x, q);
        Q8_0.Dequantize(q, back);
        for (int b = 0; b < 48; b++)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++)
            {
                amax = Math.Max(amax, Math.Abs(x[(b * 32) + j]));
            }

            float d = Fp16.ToSingle((ushort)(q[b * 34] | (q[(b * 34) + 1] << 8)));
            // half a step, plus the f16 rounding of d (relative 2^-11) over up to 127 steps
            double bound = (d / 2) + (amax * Math.Pow(2, -11)) + 1e-7;
            for (int j = 0; j < 32; j++)
            {
                Assert.That(Math.Abs(back[(b * 32) + j] - x[(b * 32) + j]), Is.LessThanOrEqualTo(bound), $"block {b} elem {j}");
            }
        }
    }

    [Test]
    public void Q4_0RoundTripErrorIsBounded()
    {
        var rng = new Random(8);
        float[] x = RandomVector(rng, 1536);
        byte[] q = new byte[1536 / 32 * 18];
        float[] back = new float[1536];
        Q4_0.Quantize(x, q);
        Q4_0.Dequantize(q, back);
        for (int b = 0; b < 48; b++)
        {
            float d = Math.Abs(Fp16.ToSingle((ushort)(q[b * 18] | (q[(b * 18) + 1] << 8))));
            float amax = 0;
            for (int j = 0; j < 32; j++)
            {
                amax = Math.Max(amax, Math.Abs(x[(b * 32) + j]));
            }

            for (int j = 0; j < 32; j++)
            {
                float v = x[(b * 32) + j];
                // the value of largest magnitude maps to -8 exactly; values of the opposite sign near it clamp at +7,
                // so the worst case is one full step (plus f16 rounding of d over 8 steps)
                double bound = d + (amax * Math.Pow(2, -10)) + 1e-7;
                Assert.That(Math.Abs(back[(b * 32) + j] - v), Is.LessThanOrEqualTo(bound), $"block {b} elem {j}");
            }
        }
    }

    [Test]
    public void DequantRowHandlesEveryType()
    {
        var rng = new Random(9);
        float[] x = RandomVector(rng, 64);
        float[] y = new float[64];

        byte[] f32 = new byte[256];
        Buffer.BlockCopy(x, 0, f32, 0, 256);
        Dequant.Row(GgmlType.F32, f32, y);
        Assert.That(y, Is.EqualTo(x));

        byte[] f16 = new byte[128];
        for (int i = 0; i < 64; i++)
        {
            ushort h = Fp16.FromSingle(x[i]);
            f16[2 * i] = (byte)h;
            f16[(2 * i) + 1] = (byte)(h >> 8);
        }

        Dequant.Row(GgmlType.F16, f16, y);
        for (int i = 0; i < 64; i++)
        {
            Assert.That(y[i], Is.EqualTo((float)(Half)x[i]));
        }

        byte[] q8 = new byte[68];
        Q8_0.Quantize(x, q8);
        float[] expected = new float[64];
        Q8_0.Dequantize(q8, expected);
        Dequant.Row(GgmlType.Q8_0, q8, y);
        Assert.That(y, Is.EqualTo(expected));

        byte[] q4 = new byte[36];
        Q4_0.Quantize(x, q4);
        Q4_0.Dequantize(q4, expected);
        Dequant.Row(GgmlType.Q4_0, q4, y);
        Assert.That(y, Is.EqualTo(expected));

        Assert.Throws<NotSupportedException>(() => Dequant.Row(GgmlType.Q4_K, new byte[144], new float[256]));
        Assert.Throws<ArgumentException>(() => Dequant.Row(GgmlType.Q8_0, new byte[67], new float[64]));
    }

    [Test]
    public void ActivationsRoundHalfToEvenWithF16Scale()
    {
        float[] x = new float[32];
        x[0] = 127f; // amax = 127 → id = 127/127 = 1
        x[1] = 2.5f;  // → 2
        x[2] = 3.5f;  // → 4
        x[3] = -2.5f; // → -2
        x[4] = -0.5f; // → 0
        var a = new Q8Activations(64);
        a.Quantize(x);
        Assert.That(a.Length, Is.EqualTo(32));
        Assert.That(a.Values.Slice(0, 5).ToArray(), Is.EqualTo(new sbyte[] { 127, 2, 4, -2, 0 }));
        Assert.That(a.Scale[0], Is.EqualTo(1f));
        Assert.That(a.BlockSums[0], Is.EqualTo(127 + 2 + 4 - 2));

        Array.Clear(x);
        x[0] = 1f; // d = 1/127, stored as f16
        a.Quantize(x);
        Assert.That(a.Scale[0], Is.EqualTo(Fp16.ToSingle(Fp16.FromSingle(1f / 127f))));
        Assert.That(a.Scale[0], Is.Not.EqualTo(1f / 127f));
    }

    public static IEnumerable<KernelPath> SimdPaths() => MatVecTests.Paths().Where(p => p != KernelPath.Scalar);

    [TestCaseSource(nameof(SimdPaths))]
    public void ActivationSimdQuantizerMatchesScalarReference(KernelPath path)
    {
        KernelTable k = KernelTable.For(path);
        var rng = new Random(10);
        var simd = new Q8Activations(1536);
        var scalar = new Q8Activations(1536);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 32 * rng.Next(1, 49);
            float[] x = RandomVector(rng, n);
            if (trial % 5 == 0)
            {
                Array.Clear(x, 0, 32); // an all-zero block
            }

            if (trial % 7 == 0)
            {
                // exact ties after scaling: amax 127 makes id 1
                for (int j = 0; j < 32; j++)
                {
                    x[j] = (j % 2 == 0 ? 0.5f : -1.5f) + rng.Next(-60, 60);
                }

                x[5] = 127f;
            }

            simd.Quantize(x, k);
            scalar.Quantize(x, KernelTable.Reference);
            Assert.That(simd.Values.ToArray(), Is.EqualTo(scalar.Values.ToArray()), $"trial {trial}");
            Assert.That(simd.Scale.ToArray(), Is.EqualTo(scalar.Scale.ToArray()), $"trial {trial}");
            Assert.That(simd.BlockSums.ToArray(), Is.EqualTo(scalar.BlockSums.ToArray()), $"trial {trial}");
        }
    }

    [Test]
    public void ActivationsRejectBadLengths()
    {
        var a = new Q8Activations(64);
        Assert.Throws<ArgumentException>(() => a.Quantize(new float[96]));
        Assert.Throws<ArgumentException>(() => a.Quantize(new float[33]));
        Assert.Throws<ArgumentException>(() => _ = new Q8Activations(48));
    }

    internal static float[] RandomVector(Random rng, int n)
    {
        float[] x = new float[n];
        for (int i = 0; i < n; i++)
        {
            // roughly normal, with occasional outliers as in real activations
            double g = rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5;
            x[i] = (float)(g * (rng.Next(50) == 0 ? 20 : 1));
        }

        return x;
    }
}
