using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// The instruction-set paths of the kernels; a model's <see cref="KernelTable"/> is chosen from one. There is no
/// AVX-512 path: on the machines measured the 512-bit maddubs kernel was not faster than 256-bit VNNI, and .NET 10
/// exposes no 512-bit VNNI there (docs/architecture.md, "Kernel table and paths").
/// </summary>
public enum KernelPath
{
    /// <summary>Portable reference (the readable twin of every SIMD path).</summary>
    Scalar,

    /// <summary>x86 AVX2 + FMA: int8 products by <c>vpmaddubsw</c> on |w| and sign(x, w).</summary>
    Avx2,

    /// <summary>x86 AVX-VNNI (256-bit <c>vpdpbusd</c>).</summary>
    AvxVnni,

    /// <summary>arm64 Advanced SIMD: widening multiplies (Raspberry Pi 4 class).</summary>
    AdvSimd,

    /// <summary>arm64 dot product <c>sdot</c> (Raspberry Pi 5 class).</summary>
    ArmDotProd,
}

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
