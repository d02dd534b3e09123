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
