using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Quant;

/// <summary>Everything a matvec kernel needs, as raw pointers (the caller keeps the memory pinned).</summary>
internal unsafe struct MatVecArgs
{
    public byte* W;
    public long RowBytes;
    public int Cols;
    public int Blocks;
    public float* X;
    public sbyte* Xq;
    public float* Xd;
    public int* Xs;
    public float* Y;
    public GgmlType Type;

    /// <summary>
    /// The batch's activations <see cref="Xq"/> widened to int16 with the same strides (the AVX-512 Q8_0 prefill
    /// tile's operand), filled once per dispatch by <see cref="KernelTable.WidenQ8"/>; null when not prepared.
    /// </summary>
    public short* X16;

    /// <summary>The matrix × vector kernel for Q8_0/Q4_0 weights (null for float weights).</summary>
    public delegate*<in MatVecArgs, int, int, NoSink, void> Quantized;

    /// <summary>The matrix × vector kernel for F32/F16 weights (null for quantized weights).</summary>
    public delegate*<in MatVecArgs, int, int, void> Float;

    /// <summary>The prefill tiles for quantized weights (null for float weights: they run token by token).</summary>
    public delegate*<in MatVecArgs, int, int, void> Gemm;

    /// <summary>Input vectors multiplied at once (1 = matrix × vector; more = prefill's matrix × matrix).</summary>
    public int Tokens;

    /// <summary>Elements between consecutive tokens' inputs in <see cref="X"/> and <see cref="Xq"/>.</summary>
    public int XStride;

    /// <summary>Blocks between consecutive tokens' entries in <see cref="Xd"/> and <see cref="Xs"/>.</summary>
    public int XBlockStride;

    /// <summary>Elements between consecutive tokens' outputs in <see cref="Y"/>.</summary>
    public int YStride;

    /// <summary>The arguments of token <paramref name="t"/> alone (a matrix × vector).</summary>
    public readonly MatVecArgs ForToken(int t)
    {
        MatVecArgs a = this;
        a.Tokens = 1;
        a.X = X == null ? null : X + ((long)t * XStride);
        a.Xq = Xq == null ? null : Xq + ((long)t * XStride);
        a.Xd = Xd == null ? null : Xd + ((long)t * XBlockStride);
        a.Xs = Xs == null ? null : Xs + ((long)t * XBlockStride);
        a.Y = Y + ((long)t * YStride);
        return a;
    }
}
