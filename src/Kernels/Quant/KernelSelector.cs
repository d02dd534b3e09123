using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>Which kernel paths this CPU runs, and the best one (chosen once).</summary>
public static class KernelSelector
{
    private static readonly KernelPath BestPath = ChooseBest();

    /// <summary>The fastest supported path on this CPU.</summary>
    public static KernelPath Best => BestPath;

    /// <summary>All paths, in enum order.</summary>
    public static IReadOnlyList<KernelPath> All { get; } = Enum.GetValues<KernelPath>();

    /// <summary>True when this process can run <paramref name="path"/>.</summary>
    public static bool IsSupported(KernelPath path) => path switch
    {
        KernelPath.Scalar => true,
        KernelPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        KernelPath.AvxVnni => Avx2.IsSupported && Fma.IsSupported && AvxVnni.IsSupported,
        KernelPath.AdvSimd => AdvSimd.Arm64.IsSupported,
        KernelPath.ArmDotProd => AdvSimd.Arm64.IsSupported && Dp.IsSupported,
        _ => false,
    };

    /// <summary>A one-line human description, e.g. for <c>edgellm info</c>.</summary>
    public static string Describe(KernelPath path) => path switch
    {
        KernelPath.Scalar => "portable scalar (reference)",
        KernelPath.Avx2 => "x86 AVX2 (int8 maddubs)",
        KernelPath.AvxVnni => "x86 AVX-VNNI (int8 vpdpbusd)",
        KernelPath.AdvSimd => "arm64 AdvSIMD (int8 widening multiply)",
        KernelPath.ArmDotProd => "arm64 DotProd (int8 sdot)",
        _ => path.ToString(),
    };

    /// <summary>Why <paramref name="path"/> cannot run here, or null when it can.</summary>
    public static string? WhyNotSupported(KernelPath path) =>
        IsSupported(path) ? null : $"{Describe(path)} is not supported on this CPU";

    private static KernelPath ChooseBest()
    {
        foreach (KernelPath p in new[] { KernelPath.AvxVnni, KernelPath.Avx2, KernelPath.ArmDotProd, KernelPath.AdvSimd })
        {
            if (IsSupported(p))
            {
                return p;
            }
        }

        return KernelPath.Scalar;
    }
}
