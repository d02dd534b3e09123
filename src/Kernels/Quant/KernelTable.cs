#if NET
using System.Runtime.Intrinsics.X86;
#endif
using EdgeLlm.Kernels.Model;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// Every kernel the forward pass runs, chosen once from a <see cref="KernelPath"/>: matrix × vector and the prefill
/// tiles per weight type, attention, activation quantization, cache dequantization and the float vector operations.
/// Nothing below the table tests an instruction set: <see cref="KernelPath.Scalar"/> runs the scalar reference of every
/// operation, and each row of the table lists the scalar reference, then its x86 twin, then its arm64 twin.
/// Which twin is bit-exact with which: docs/architecture.md, "Kernel table and paths".
/// </summary>
internal sealed unsafe class KernelTable
{
    private static readonly KernelTable?[] Tables = new KernelTable?[2 * Enum.GetValues<KernelPath>().Length];

    private KernelTable(KernelPath path, bool streaming)
    {
        Path = path;
        StreamsWeights = streaming;
#if !NET
        // netstandard2.1: only the scalar path is built (KernelSelector.IsSupported refuses the others).
        MatVecQ8_0 = &ScalarKernels.Q8_0<NoSink>;
        MatVecQ4_0 = &ScalarKernels.Q4_0<NoSink>;
        MatVecF32 = &ScalarKernels.F32;
        MatVecF16 = &ScalarKernels.F16;
        SumsQ8_0 = &ScalarKernels.Q8_0<RecordSink>;
        SumsQ4_0 = &ScalarKernels.Q4_0<RecordSink>;
        GemmQ8_0 = &ScalarGemm.Q8_0;
        GemmQ4_0 = &ScalarGemm.Q4_0;
        MatVecQ8_0R8 = &ScalarKernels.Q8_0R8<NoSink>;
        MatVecQ4_0R8 = &ScalarKernels.Q4_0R8<NoSink>;
        SumsQ8_0R8 = &ScalarKernels.Q8_0R8<RecordSink>;
        SumsQ4_0R8 = &ScalarKernels.Q4_0R8<RecordSink>;
        GemmQ8_0R8 = &ScalarGemm.Q8_0R8;
        GemmQ4_0R8 = &ScalarGemm.Q4_0R8;
        WidenQ8 = null;
        QuantizeBlock = &Q8Activations.QuantizeBlockScalar;
        RmsNorm = &ScalarOps.RmsNorm;
        Add = &ScalarOps.Add;
        SwiGlu = &ScalarOps.SwiGlu;
        Softmax = &ScalarOps.Softmax;
        Dot = &ScalarOps.Dot;
        AddScaled = &ScalarOps.AddScaled;
        DequantizeQ8 = &ScalarOps.DequantizeQ8;
#else
        bool x86 = path is KernelPath.Avx2 or KernelPath.AvxVnni or KernelPath.Avx512, vnni = path == KernelPath.AvxVnni;
        bool sdot = path == KernelPath.ArmDotProd;

        // Matrix × vector, per weight type.
        MatVecQ8_0 = path == KernelPath.Scalar ? &ScalarKernels.Q8_0<NoSink>
            : x86 ? (vnni ? &X86Kernels.Q8_0<VnniDot, NoSink> : &X86Kernels.Q8_0<Avx2Dot, NoSink>)
            : sdot ? &ArmKernels.Q8_0<SdotDot, NoSink> : &ArmKernels.Q8_0<AdvSimdDot, NoSink>;
        MatVecQ4_0 = path == KernelPath.Scalar ? &ScalarKernels.Q4_0<NoSink>
            : x86 && streaming ? (vnni ? &X86Kernels.Q4_0<VnniDot, NoSink, X86ConvertedScales> : &X86Kernels.Q4_0<Avx2Dot, NoSink, X86ConvertedScales>)
            : x86 ? (vnni ? &X86Kernels.Q4_0<VnniDot, NoSink, X86TableScales> : &X86Kernels.Q4_0<Avx2Dot, NoSink, X86TableScales>)
            : sdot ? &ArmKernels.Q4_0<SdotDot, NoSink> : &ArmKernels.Q4_0<AdvSimdDot, NoSink>;
        MatVecF32 = path == KernelPath.Scalar ? &ScalarKernels.F32 : x86 ? &FloatKernels.F32x86 : &FloatKernels.F32Arm;
        MatVecF16 = path == KernelPath.Scalar ? &ScalarKernels.F16 : x86 ? &FloatKernels.F16x86 : &FloatKernels.F16Arm;

        // The same, recording every block's int32 sum (tests).
        SumsQ8_0 = path == KernelPath.Scalar ? &ScalarKernels.Q8_0<RecordSink>
            : x86 ? (vnni ? &X86Kernels.Q8_0<VnniDot, RecordSink> : &X86Kernels.Q8_0<Avx2Dot, RecordSink>)
            : sdot ? &ArmKernels.Q8_0<SdotDot, RecordSink> : &ArmKernels.Q8_0<AdvSimdDot, RecordSink>;
        SumsQ4_0 = path == KernelPath.Scalar ? &ScalarKernels.Q4_0<RecordSink>
            : x86 && streaming ? (vnni ? &X86Kernels.Q4_0<VnniDot, RecordSink, X86ConvertedScales> : &X86Kernels.Q4_0<Avx2Dot, RecordSink, X86ConvertedScales>)
            : x86 ? (vnni ? &X86Kernels.Q4_0<VnniDot, RecordSink, X86TableScales> : &X86Kernels.Q4_0<Avx2Dot, RecordSink, X86TableScales>)
            : sdot ? &ArmKernels.Q4_0<SdotDot, RecordSink> : &ArmKernels.Q4_0<AdvSimdDot, RecordSink>;

        // Matrix × matrix (prefill) tiles over a batch of tokens, bit-exact with the matrix × vector kernels. The AVX2
        // Q8_0 tile takes four tokens per pass where the JIT has 32 vector registers (EVEX, AVX-512VL), else two.
        GemmQ8_0 = path == KernelPath.Scalar ? &ScalarGemm.Q8_0
            : path == KernelPath.Avx512 ? &X86Avx512Gemm.Q8_0
            : x86 ? (vnni ? &X86Gemm.Q8_0Vnni : Avx512F.VL.IsSupported ? &X86Gemm.Q8_0Wide : &X86Gemm.Q8_0Narrow)
            : sdot ? &ArmGemm.Q8_0<SdotDot> : &ArmGemm.Q8_0<AdvSimdDot>;
        GemmQ4_0 = path == KernelPath.Scalar ? &ScalarGemm.Q4_0
            : x86 ? (vnni ? &X86Gemm.Q4_0<VnniDot> : &X86Gemm.Q4_0<Avx2Dot>)
            : sdot ? &ArmGemm.Q4_0<SdotDot> : &ArmGemm.Q4_0<AdvSimdDot>;

        // The row-interleaved types (docs/interleaved.md): matrix × vector, block sums, prefill.
        MatVecQ8_0R8 = path == KernelPath.Scalar ? &ScalarKernels.Q8_0R8<NoSink>
            : x86 ? (vnni ? &X86R8Kernels.Q8_0<VnniDot, NoSink> : &X86R8Kernels.Q8_0<Avx2Dot, NoSink>)
            : sdot ? &ArmR8Kernels.Q8_0<SdotDot, NoSink> : &ArmR8Kernels.Q8_0<AdvSimdDot, NoSink>;
        MatVecQ4_0R8 = path == KernelPath.Scalar ? &ScalarKernels.Q4_0R8<NoSink>
            : x86 ? (vnni ? &X86R8Kernels.Q4_0<VnniDot, NoSink> : &X86R8Kernels.Q4_0<Avx2Dot, NoSink>)
            : sdot ? &ArmR8Kernels.Q4_0<SdotDot, NoSink> : &ArmR8Kernels.Q4_0<AdvSimdDot, NoSink>;
        SumsQ8_0R8 = path == KernelPath.Scalar ? &ScalarKernels.Q8_0R8<RecordSink>
            : x86 ? (vnni ? &X86R8Kernels.Q8_0<VnniDot, RecordSink> : &X86R8Kernels.Q8_0<Avx2Dot, RecordSink>)
            : sdot ? &ArmR8Kernels.Q8_0<SdotDot, RecordSink> : &ArmR8Kernels.Q8_0<AdvSimdDot, RecordSink>;
        SumsQ4_0R8 = path == KernelPath.Scalar ? &ScalarKernels.Q4_0R8<RecordSink>
            : x86 ? (vnni ? &X86R8Kernels.Q4_0<VnniDot, RecordSink> : &X86R8Kernels.Q4_0<Avx2Dot, RecordSink>)
            : sdot ? &ArmR8Kernels.Q4_0<SdotDot, RecordSink> : &ArmR8Kernels.Q4_0<AdvSimdDot, RecordSink>;
        GemmQ8_0R8 = path == KernelPath.Scalar ? &ScalarGemm.Q8_0R8
            : path == KernelPath.Avx512 ? &X86Avx512Gemm.Q8_0R8
            : x86 ? (vnni ? &X86Gemm.Q8_0R8Vnni : Avx512F.VL.IsSupported ? &X86Gemm.Q8_0R8Wide : &X86Gemm.Q8_0R8Narrow)
            : sdot ? &ArmR8Gemm.Q8_0<SdotDot> : &ArmR8Gemm.Q8_0<AdvSimdDot>;
        GemmQ4_0R8 = path == KernelPath.Scalar ? &ScalarGemm.Q4_0R8
            : x86 ? (vnni ? &X86Gemm.Q4_0R8<VnniDot> : &X86Gemm.Q4_0R8<Avx2Dot>)
            : sdot ? &ArmR8Gemm.Q4_0<SdotDot> : &ArmR8Gemm.Q4_0<AdvSimdDot>;

        // The batch's int8 activations as int16, once per dispatch, for the tiles that multiply int16.
        WidenQ8 = path == KernelPath.Avx512 ? &X86Avx512Gemm.Widen : null;

        // Activation quantization (one Q8_0 block) and the float vector operations.
        bool simd = path != KernelPath.Scalar;
        QuantizeBlock = simd ? &Q8Activations.QuantizeBlockSimd : &Q8Activations.QuantizeBlockScalar;
        RmsNorm = simd ? &SimdOps.RmsNorm : &ScalarOps.RmsNorm;
        Add = simd ? &SimdOps.Add : &ScalarOps.Add;
        SwiGlu = simd ? &SimdOps.SwiGlu : &ScalarOps.SwiGlu;
        Softmax = simd ? &SimdOps.Softmax : &ScalarOps.Softmax;
        Dot = simd ? &SimdOps.Dot : &ScalarOps.Dot;
        AddScaled = simd ? &SimdOps.AddScaled : &ScalarOps.AddScaled;
        DequantizeQ8 = simd ? &SimdOps.DequantizeQ8 : &ScalarOps.DequantizeQ8;
#endif
    }

    /// <summary>The scalar reference table.</summary>
    public static KernelTable Reference => For(KernelPath.Scalar);

    /// <summary>The table of the best path this CPU supports.</summary>
    public static KernelTable Best => For(KernelSelector.Best);

    public KernelPath Path { get; }

    /// <summary>
    /// Whether the matrix × vector kernels are the variants for weights that stream from memory rather than sit in
    /// cache (on x86, Q4_0 converts its f16 scales in SIMD lanes instead of reading a table; <see cref="IX86Scales"/>).
    /// Every output is the same bits either way; only the speed differs.
    /// </summary>
    public bool StreamsWeights { get; }

    public delegate*<in MatVecArgs, int, int, NoSink, void> MatVecQ8_0 { get; }

    public delegate*<in MatVecArgs, int, int, NoSink, void> MatVecQ4_0 { get; }

    public delegate*<in MatVecArgs, int, int, void> MatVecF32 { get; }

    public delegate*<in MatVecArgs, int, int, void> MatVecF16 { get; }

    public delegate*<in MatVecArgs, int, int, RecordSink, void> SumsQ8_0 { get; }

    public delegate*<in MatVecArgs, int, int, RecordSink, void> SumsQ4_0 { get; }

    public delegate*<in MatVecArgs, int, int, void> GemmQ8_0 { get; }

    public delegate*<in MatVecArgs, int, int, void> GemmQ4_0 { get; }

    public delegate*<in MatVecArgs, int, int, NoSink, void> MatVecQ8_0R8 { get; }

    public delegate*<in MatVecArgs, int, int, NoSink, void> MatVecQ4_0R8 { get; }

    public delegate*<in MatVecArgs, int, int, RecordSink, void> SumsQ8_0R8 { get; }

    public delegate*<in MatVecArgs, int, int, RecordSink, void> SumsQ4_0R8 { get; }

    /// <summary>Prefill tiles of the interleaved types.</summary>
    public delegate*<in MatVecArgs, int, int, void> GemmQ8_0R8 { get; }

    public delegate*<in MatVecArgs, int, int, void> GemmQ4_0R8 { get; }

    /// <summary>
    /// Widens rows 0..tokens−1 of int8 activations (values per row, row stride) to int16 at the same offsets, when
    /// this path's Q8_0 prefill tile reads int16 (<see cref="MatVecArgs.X16"/>); null otherwise.
    /// </summary>
    public delegate*<sbyte*, short*, int, int, int, void> WidenQ8 { get; }

    public delegate*<float*, sbyte*, float*, int*, void> QuantizeBlock { get; }

    public delegate*<float*, float*, float*, int, float, void> RmsNorm { get; }

    public delegate*<float*, float*, int, void> Add { get; }

    public delegate*<float*, float*, int, void> SwiGlu { get; }

    public delegate*<float*, int, void> Softmax { get; }

    public delegate*<float*, float*, int, float> Dot { get; }

    public delegate*<float*, float*, float, int, void> AddScaled { get; }

    public delegate*<byte*, float*, int, void> DequantizeQ8 { get; }

    /// <summary>
    /// The table of <paramref name="path"/>, with the kernels for weights that stream from memory when
    /// <paramref name="streamingWeights"/> (<see cref="StreamsWeights"/>); throws <see cref="NotSupportedException"/>
    /// when this CPU cannot run it.
    /// </summary>
    public static KernelTable For(KernelPath path, bool streamingWeights = false)
    {
        if (!KernelSelector.IsSupported(path))
        {
            throw new NotSupportedException(KernelSelector.WhyNotSupported(path));
        }

        int slot = (2 * (int)path) + (streamingWeights ? 1 : 0);
        return Tables[slot] ??= new KernelTable(path, streamingWeights);
    }

    /// <summary>
    /// Whether weights of <paramref name="weightBytes"/> stream from memory on a CPU whose last-level cache holds
    /// <paramref name="lastLevelCacheBytes"/> (null when unknown): when they exceed it, or when the size is unknown
    /// (the boards this runs on have 0.5–2 MB of L2/L3, far below any model).
    /// </summary>
    public static bool StreamingWeights(long weightBytes, long? lastLevelCacheBytes) =>
        lastLevelCacheBytes is not { } llc || weightBytes > llc;

    /// <summary>
    /// The attention kernel for one KV head's group of query heads (the signature of <see cref="OneHeadAttention.Run{TOps}"/>):
    /// the scalar reference one head at a time; on x86 and arm64 the grouped kernel when it covers the shape
    /// (<see cref="IsGrouped"/>), else its one-head twin on <see cref="SimdOps"/>.
    /// </summary>
#if NET
    public delegate*<KvCacheType, int, float*, int, byte*, byte*, long, int, float, float*, int, float*, float*, void> Attention(int headDim, int group, KvCacheType type) =>
        Path == KernelPath.Scalar ? &OneHeadAttention.Run<ScalarOps>
        : !IsGrouped(headDim, group, type) ? &OneHeadAttention.Run<SimdOps>
        : Path is KernelPath.Avx2 or KernelPath.AvxVnni or KernelPath.Avx512 ? &X86Attention.Run : &ArmAttention.Run;

    /// <summary>Whether <see cref="Attention"/> is a grouped kernel (every head of a KV group per pass over the cache) for this shape.</summary>
    public bool IsGrouped(int headDim, int group, KvCacheType type) => Path switch
    {
        KernelPath.Avx2 or KernelPath.AvxVnni or KernelPath.Avx512 => X86Attention.Supported(headDim, group, type),
        KernelPath.AdvSimd or KernelPath.ArmDotProd => ArmAttention.Supported(headDim, group, type),
        _ => false,
    };
#else
    public delegate*<KvCacheType, int, float*, int, byte*, byte*, long, int, float, float*, int, float*, float*, void> Attention(int headDim, int group, KvCacheType type) =>
        &OneHeadAttention.Run;

    /// <summary>Whether <see cref="Attention"/> is a grouped kernel: never in the netstandard2.1 build.</summary>
    public bool IsGrouped(int headDim, int group, KvCacheType type) => false;
#endif
}
