using System.Runtime.InteropServices;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests;

/// <summary>
/// Proof that an arm64 run took the kernel path it was meant to: scripts/test-arm64 sets
/// EDGELLM_EXPECT_KERNEL to the path the emulated CPU must select (cortex-a53: AdvSimd, no SDOT;
/// cortex-a76: ArmDotProd). Without the variable (a native run) the test only reports the path.
/// </summary>
public class KernelPathUnderEmulationTests
{
    [Test]
    public void SelectedKernelPathIsTheExpectedOne()
    {
        string line = $"arch {RuntimeInformation.ProcessArchitecture}, KernelSelector.Best = {KernelSelector.Best} ({KernelSelector.Describe(KernelSelector.Best)})";
        TestContext.Progress.WriteLine(line);
        Console.WriteLine(line);
        string? expected = Environment.GetEnvironmentVariable("EDGELLM_EXPECT_KERNEL");
        if (string.IsNullOrEmpty(expected))
        {
            return;
        }

        Assert.Multiple(() =>
        {
            Assert.That(RuntimeInformation.ProcessArchitecture, Is.EqualTo(Architecture.Arm64));
            Assert.That(KernelSelector.Best.ToString(), Is.EqualTo(expected));
        });
    }
}
