namespace EdgeLlm.Kernels.Model;

/// <summary>
/// The float vector operations of the forward pass, as static members so a kernel generic over them (the one-head
/// attention) inlines them. <see cref="ScalarOps"/> is the reference; <see cref="SimdOps"/> is the x86 and arm64 twin.
/// Numerics: docs/architecture.md, "Kernel table and paths".
/// </summary>
internal unsafe interface IVectorOps
{
    /// <summary>Σ a[i]·b[i] over n elements.</summary>
    static abstract float Dot(float* a, float* b, int n);

    /// <summary>dst[i] = fma(src[i], s, dst[i]) over n elements.</summary>
    static abstract void AddScaled(float* dst, float* src, float s, int n);

    /// <summary>dst[i] += src[i] over n elements.</summary>
    static abstract void Add(float* dst, float* src, int n);

    /// <summary>dst = src · (1/√(mean(src²) + eps)) · weight, the sum of squares in double (as ggml).</summary>
    static abstract void RmsNorm(float* dst, float* src, float* weight, int n, float eps);

    /// <summary>In-place softmax over n elements: the max subtracted, the sum in double (as ggml).</summary>
    static abstract void Softmax(float* x, int n);

    /// <summary>gate[i] = silu(gate[i]) · up[i], the SwiGLU of llama's FFN.</summary>
    static abstract void SwiGlu(float* gate, float* up, int n);

    /// <summary>d · q of whole Q8_0 blocks at <paramref name="blocks"/> into n floats (exact on every path).</summary>
    static abstract void DequantizeQ8(byte* blocks, float* dst, int n);

    /// <summary>Exact f16 → f32 of n halves.</summary>
    static abstract void DequantizeF16(ushort* src, float* dst, int n);
}
