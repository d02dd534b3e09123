using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>The SIMD f16 conversion (the streaming Q4_0 kernels' scales) against its scalar twin, the table, bit for bit.</summary>
public unsafe class X86Fp16Tests
{
    [Test]
    public void EightLanesMatchTheTableForAll65536PatternsIncludingInfAndNaN()
    {
        RequireAvx2();
        int compared = 0;
        for (int h = 0; h < 65536; h += 8)
        {
            // lanes in a scrambled order, so a lane mix-up cannot pass
            var v = Vector256.Create(h + 5, h + 2, h + 7, h, h + 1, h + 6, h + 3, h + 4);
            Vector256<float> f = X86Fp16.ToSingle(v);
            for (int i = 0; i < 8; i++)
            {
                int bits = v.GetElement(i);
                Assert.That(BitConverter.SingleToUInt32Bits(f.GetElement(i)), Is.EqualTo(BitConverter.SingleToUInt32Bits(Fp16.Table[bits])), $"0x{bits:X4}");
                compared++;
            }
        }

        Assert.That(compared, Is.EqualTo(65536));
    }

    [Test]
    public void FourLanesMatchTheTableForAll65536Patterns()
    {
        RequireAvx2();
        for (int h = 0; h < 65536; h += 4)
        {
            var v = Vector128.Create(h + 3, h, h + 2, h + 1);
            Vector128<float> f = X86Fp16.ToSingle(v);
            for (int i = 0; i < 4; i++)
            {
                int bits = v.GetElement(i);
                Assert.That(BitConverter.SingleToUInt32Bits(f.GetElement(i)), Is.EqualTo(BitConverter.SingleToUInt32Bits(Fp16.Table[bits])), $"0x{bits:X4}");
            }
        }
    }

    [Test]
    public void StreamingIsChosenWhenTheWeightsExceedTheCacheOrItsSizeIsUnknown()
    {
        Assert.That(KernelTable.StreamingWeights(133_000_000, 32L << 20), Is.True, "125M Q8_0 on a 32 MB L3");
        Assert.That(KernelTable.StreamingWeights(133_000_000, 260L << 20), Is.False, "125M Q8_0 on a 260 MB L3");
        Assert.That(KernelTable.StreamingWeights(1_000, null), Is.True, "unknown cache");
    }

    private static void RequireAvx2()
    {
        if (!Avx2.IsSupported)
        {
            Assert.Ignore("the x86 SIMD conversion needs AVX2 (the arm64 run covers its own kernels)");
        }
    }
}
