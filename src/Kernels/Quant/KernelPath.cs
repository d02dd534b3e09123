#if NET
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
#endif

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// The instruction-set paths of the kernels; a model's <see cref="KernelTable"/> is chosen from one
/// (docs/architecture.md, "Kernel table and paths").
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

    /// <summary>
    /// x86 AVX2 + AVX-512BW without AVX-VNNI (e.g. Zen 4 under .NET 10, which exposes no 512-bit VNNI): the AVX2
    /// matrix × vector kernels and 512-bit prefill tiles (<c>vpmaddwd</c> on int16, sixteen rows per vector).
    /// </summary>
    Avx512,
}
