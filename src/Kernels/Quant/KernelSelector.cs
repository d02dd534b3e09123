#if NET
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
#endif

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
#if NET
        KernelPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        KernelPath.AvxVnni => Avx2.IsSupported && Fma.IsSupported && AvxVnni.IsSupported,
        KernelPath.Avx512 => Avx2.IsSupported && Fma.IsSupported && Avx512BW.IsSupported && Avx512BW.VL.IsSupported,
        KernelPath.AdvSimd => AdvSimd.Arm64.IsSupported,
        KernelPath.ArmDotProd => AdvSimd.Arm64.IsSupported && Dp.IsSupported,
#endif
        _ => false, // the netstandard2.1 build has only the scalar path

    };

    /// <summary>A one-line human description, e.g. for <c>edgellm info</c>.</summary>
    public static string Describe(KernelPath path) => path switch
    {
        KernelPath.Scalar => "portable scalar (reference)",
        KernelPath.Avx2 => "x86 AVX2 (int8 maddubs)",
        KernelPath.AvxVnni => "x86 AVX-VNNI (int8 vpdpbusd)",
        KernelPath.Avx512 => "x86 AVX2 + AVX-512BW prefill tiles (int8 maddubs, int16 vpmaddwd zmm)",
        KernelPath.AdvSimd => "arm64 AdvSIMD (int8 widening multiply)",
        KernelPath.ArmDotProd => "arm64 DotProd (int8 sdot)",
        _ => path.ToString(),
    };

    /// <summary>Why <paramref name="path"/> cannot run here, or null when it can.</summary>
    public static string? WhyNotSupported(KernelPath path) =>
#if NET
        IsSupported(path) ? null : $"{Describe(path)} is not supported on this CPU";
#else
        IsSupported(path) ? null : $"{Describe(path)} is not in the netstandard2.1 build of EdgeLlm.Kernels (scalar only)";
#endif

    /// <summary>
    /// AVX-VNNI first (one vpdpbusd per 32 multiply-accumulates in decode and prefill), then AVX-512BW (the same
    /// decode kernels as AVX2; its Q8_0 prefill tile 2–3 % faster on Zen 4, docs/prefill.md), then AVX2.
    /// </summary>
    private static KernelPath ChooseBest()
    {
        foreach (KernelPath p in new[] { KernelPath.AvxVnni, KernelPath.Avx512, KernelPath.Avx2, KernelPath.ArmDotProd, KernelPath.AdvSimd })
        {
            if (IsSupported(p))
            {
                return p;
            }
        }

        return KernelPath.Scalar;
    }
}
