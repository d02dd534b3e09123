using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// The reference float operations, plain loops in element order. Element-wise operations without a transcendental
/// (<see cref="AddScaled"/> is one fused multiply-add per element, as on the SIMD paths) give the same bits as
/// <see cref="SimdOps"/>; reductions (dot, sums of squares) differ only in summation order, exp in its last bits.
/// </summary>
internal unsafe struct ScalarOps : IVectorOps
{
    public static float Dot(float* a, float* b, int n)
    {
        float sum = 0f;
        for (int i = 0; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    public static void AddScaled(float* dst, float* src, float s, int n)
    {
        for (int i = 0; i < n; i++)
        {
            dst[i] = MathF.FusedMultiplyAdd(src[i], s, dst[i]);
        }
    }

    public static void Add(float* dst, float* src, int n)
    {
        for (int i = 0; i < n; i++)
        {
            dst[i] += src[i];
        }
    }

    public static void RmsNorm(float* dst, float* src, float* weight, int n, float eps)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += (double)src[i] * src[i];
        }

        float scale = 1f / MathF.Sqrt((float)(sum / n) + eps);
        for (int i = 0; i < n; i++)
        {
            dst[i] = src[i] * scale * weight[i];
        }
    }

    public static void Softmax(float* x, int n)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        float inv = (float)(1.0 / sum);
        for (int i = 0; i < n; i++)
        {
            x[i] *= inv;
        }
    }

    public static void SwiGlu(float* gate, float* up, int n)
    {
        for (int i = 0; i < n; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    public static void DequantizeQ8(byte* blocks, float* dst, int n)
    {
        for (int b = 0; b < n / Q8_0.BlockSize; b++)
        {
            byte* blk = blocks + (b * Q8_0.BlockBytes);
            float d = Fp16.Table[*(ushort*)blk];
            sbyte* q = (sbyte*)(blk + 2);
            float* o = dst + (b * Q8_0.BlockSize);
            for (int j = 0; j < Q8_0.BlockSize; j++)
            {
                o[j] = q[j] * d;
            }
        }
    }

    public static void DequantizeF16(ushort* src, float* dst, int n)
    {
        for (int i = 0; i < n; i++)
        {
            dst[i] = Fp16.Table[src[i]];
        }
    }
}
