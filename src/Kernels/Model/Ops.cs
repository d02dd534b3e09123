using System.Numerics;
using System.Runtime.InteropServices;

namespace EdgeLlm.Kernels.Model;

/// <summary>Small float vector operations of the forward pass (attention, residuals, activations).</summary>
internal static class Ops
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b[..a.Length]);
            var acc = Vector<float>.Zero;
            for (int j = 0; j < va.Length; j++)
            {
                acc += va[j] * vb[j];
            }

            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>dst += src * s.</summary>
    public static void AddScaled(Span<float> dst, ReadOnlySpan<float> src, float s)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] += src[i] * s;
        }
    }

    /// <summary>dst += src.</summary>
    public static void Add(Span<float> dst, ReadOnlySpan<float> src)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] += src[i];
        }
    }

    /// <summary>In-place softmax with the max subtracted and the sum in double (as ggml).</summary>
    public static void Softmax(Span<float> x)
    {
        float max = float.NegativeInfinity;
        foreach (float f in x)
        {
            max = MathF.Max(max, f);
        }

        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        float inv = (float)(1.0 / sum);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= inv;
        }
    }

    /// <summary>gate = silu(gate) * up, the SwiGLU of llama's FFN.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}
