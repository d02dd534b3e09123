using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>The arm64 SIMD f16 conversion (the interleaved kernels' scales) against its scalar twin, the table, bit for bit.</summary>
public class ArmFp16Tests
{
    [Test]
    public void FourLanesMatchTheTableForAll65536PatternsIncludingInfAndNaN()
    {
        RequireArm64();
        int compared = 0;
        for (int h = 0; h < 65536; h += 4)
        {
            // lanes in a scrambled order, so a lane mix-up cannot pass
            var v = Vector128.Create(h + 3, h, h + 2, h + 1);
            Vector128<float> f = ArmFp16.ToSingle(v);
            for (int i = 0; i < 4; i++)
            {
                compared += Check(v.GetElement(i), f.GetElement(i));
            }
        }

        Assert.That(compared, Is.EqualTo(65536));
    }

    [Test]
    public void EightPackedHalvesMatchTheTableForAll65536Patterns()
    {
        RequireArm64();
        int compared = 0;
        for (int h = 0; h < 65536; h += 8)
        {
            var v = Vector128.Create((ushort)(h + 5), (ushort)(h + 2), (ushort)(h + 7), (ushort)h, (ushort)(h + 1), (ushort)(h + 6), (ushort)(h + 3), (ushort)(h + 4));
            Vector128<float> lo = ArmFp16.Lower(v), hi = ArmFp16.Upper(v);
            for (int i = 0; i < 4; i++)
            {
                compared += Check(v.GetElement(i), lo.GetElement(i));
                compared += Check(v.GetElement(i + 4), hi.GetElement(i));
            }
        }

        Assert.That(compared, Is.EqualTo(65536));
    }

    private static unsafe int Check(int bits, float f)
    {
        uint actual = BitConverter.SingleToUInt32Bits(f), expected = BitConverter.SingleToUInt32Bits(Fp16.Table[bits]);
        if (actual != expected)
        {
            Assert.Fail($"0x{bits:X4}: 0x{actual:X8} != table 0x{expected:X8}");
        }

        return 1;
    }

    private static void RequireArm64()
    {
        if (!AdvSimd.Arm64.IsSupported)
        {
            Assert.Ignore("the arm64 SIMD conversion needs AdvSIMD (scripts/test-arm64 runs it under qemu)");
        }
    }
}
