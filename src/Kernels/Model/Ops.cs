using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// Small float vector operations of the forward pass (attention, residuals, norms, activations), vectorized with
/// <see cref="Vector{T}"/> (256-bit on AVX2, 128-bit on arm64) and a plain scalar loop for the tail. Element-wise
/// operations without a transcendental give exactly the scalar results; reductions (dot, sums) change only the
/// summation order; exp is <see cref="Vector.Exp(Vector{float})"/> (within a few ulp of <see cref="MathF.Exp"/>).
/// </summary>
internal static class Ops
{
    public static unsafe float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        b = b[..a.Length];
        fixed (float* pa = a, pb = b)
        {
            return Dot(pa, pb, a.Length);
        }
    }

    /// <summary>Σ a[i]·b[i] over n elements: two vector accumulators (even/odd vectors), then the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float sum = 0;
        int w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && n >= w)
        {
            int nv = n / w;
            Vector<float> acc0 = Vector<float>.Zero, acc1 = acc0;
            int j = 0;
            for (; j + 2 <= nv; j += 2)
            {
                acc0 = Vector.FusedMultiplyAdd(Vector.Load(a + (j * w)), Vector.Load(b + (j * w)), acc0);
                acc1 = Vector.FusedMultiplyAdd(Vector.Load(a + ((j + 1) * w)), Vector.Load(b + ((j + 1) * w)), acc1);
            }

            if (j < nv)
            {
                acc0 = Vector.FusedMultiplyAdd(Vector.Load(a + (j * w)), Vector.Load(b + (j * w)), acc0);
            }

            sum = Vector.Sum(acc0 + acc1);
            i = nv * w;
        }

        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>dst += src * s.</summary>
    public static unsafe void AddScaled(Span<float> dst, ReadOnlySpan<float> src, float s)
    {
        src = src[..dst.Length];
        fixed (float* pd = dst, ps = src)
        {
            AddScaled(pd, ps, s, dst.Length);
        }
    }

    /// <summary>dst[i] += src[i] * s over n elements (one fused multiply-add per element).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void AddScaled(float* dst, float* src, float s, int n)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            var f = new Vector<float>(s);
            for (; i + w <= n; i += w)
            {
                Vector.FusedMultiplyAdd(Vector.Load(src + i), f, Vector.Load(dst + i)).Store(dst + i);
            }
        }

        for (; i < n; i++)
        {
            dst[i] = MathF.FusedMultiplyAdd(src[i], s, dst[i]);
        }
    }

    /// <summary>dst += src.</summary>
    public static void Add(Span<float> dst, ReadOnlySpan<float> src)
    {
        src = src[..dst.Length];
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vd = MemoryMarshal.Cast<float, Vector<float>>(dst);
            var vs = MemoryMarshal.Cast<float, Vector<float>>(src);
            for (int j = 0; j < vd.Length; j++)
            {
                vd[j] += vs[j];
            }

            i = vd.Length * Vector<float>.Count;
        }

        for (; i < dst.Length; i++)
        {
            dst[i] += src[i];
        }
    }

    /// <summary>dst[i] *= s.</summary>
    public static void Scale(Span<float> dst, float s)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vd = MemoryMarshal.Cast<float, Vector<float>>(dst);
            var f = new Vector<float>(s);
            for (int j = 0; j < vd.Length; j++)
            {
                vd[j] *= f;
            }

            i = vd.Length * Vector<float>.Count;
        }

        for (; i < dst.Length; i++)
        {
            dst[i] *= s;
        }
    }

    /// <summary>RMSNorm with the sum of squares in double, as ggml does: dst = src · (1/√(mean(src²) + eps)) · weight.</summary>
    public static void RmsNorm(Span<float> dst, ReadOnlySpan<float> src, ReadOnlySpan<float> weight, float eps)
    {
        double sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && src.Length >= Vector<float>.Count)
        {
            var vs = MemoryMarshal.Cast<float, Vector<float>>(src);
            Vector<double> a0 = Vector<double>.Zero, a1 = a0;
            for (int j = 0; j < vs.Length; j++)
            {
                Vector.Widen(vs[j], out Vector<double> lo, out Vector<double> hi);
                a0 = Vector.FusedMultiplyAdd(lo, lo, a0);
                a1 = Vector.FusedMultiplyAdd(hi, hi, a1);
            }

            sum = Vector.Sum(a0 + a1);
            i = vs.Length * Vector<float>.Count;
        }

        for (; i < src.Length; i++)
        {
            sum += (double)src[i] * src[i];
        }

        float mean = (float)(sum / src.Length);
        float scale = 1f / MathF.Sqrt(mean + eps);
        dst = dst[..src.Length];
        weight = weight[..src.Length];
        i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vd = MemoryMarshal.Cast<float, Vector<float>>(dst);
            var vs = MemoryMarshal.Cast<float, Vector<float>>(src);
            var vw = MemoryMarshal.Cast<float, Vector<float>>(weight);
            var f = new Vector<float>(scale);
            for (int j = 0; j < vd.Length; j++)
            {
                vd[j] = vs[j] * f * vw[j];
            }

            i = vd.Length * Vector<float>.Count;
        }

        for (; i < src.Length; i++)
        {
            dst[i] = src[i] * scale * weight[i];
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
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            var m = new Vector<float>(max);
            Vector<double> acc = Vector<double>.Zero;
            for (int j = 0; j < vx.Length; j++)
            {
                Vector<float> e = Vector.Exp(vx[j] - m);
                vx[j] = e;
                Vector.Widen(e, out Vector<double> lo, out Vector<double> hi);
                acc += lo + hi;
            }

            sum = Vector.Sum(acc);
            i = vx.Length * Vector<float>.Count;
        }

        for (; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        Scale(x, (float)(1.0 / sum));
    }

    /// <summary>gate = silu(gate) * up, the SwiGLU of llama's FFN.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        up = up[..gate.Length];
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vg = MemoryMarshal.Cast<float, Vector<float>>(gate);
            var vu = MemoryMarshal.Cast<float, Vector<float>>(up);
            for (int j = 0; j < vg.Length; j++)
            {
                Vector<float> g = vg[j];
                vg[j] = g / (Vector<float>.One + Vector.Exp(-g)) * vu[j];
            }

            i = vg.Length * Vector<float>.Count;
        }

        for (; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}
