using System.Numerics;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// The SIMD twin of <see cref="ScalarOps"/>, written once over <see cref="Vector{T}"/>: the JIT makes it 256-bit
/// (8 floats) on the x86 paths and 128-bit (4 floats) on the arm64 paths, and the grouped attention kernels of each
/// ISA reproduce its lane order (<see cref="X86Attention"/>, <see cref="ArmAttention"/>). Element-wise operations
/// without a transcendental give exactly the scalar bits; <see cref="Dot"/> and the sums of squares change the
/// summation order; exp is <see cref="Vector.Exp(Vector{float})"/> (within a few ulp of <see cref="MathF.Exp"/>).
/// </summary>
internal unsafe struct SimdOps : IVectorOps
{
    /// <summary>Two vector accumulators (chunk c of <see cref="Vector{T}.Count"/> floats goes to acc c mod 2), then the scalar tail.</summary>
    public static float Dot(float* a, float* b, int n)
    {
        int w = Vector<float>.Count;
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

        float sum = Vector.Sum(acc0 + acc1);
        for (int i = nv * w; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    public static void AddScaled(float* dst, float* src, float s, int n)
    {
        int i = 0, w = Vector<float>.Count;
        var f = new Vector<float>(s);
        for (; i + w <= n; i += w)
        {
            Vector.FusedMultiplyAdd(Vector.Load(src + i), f, Vector.Load(dst + i)).Store(dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] = MathF.FusedMultiplyAdd(src[i], s, dst[i]);
        }
    }

    public static void Add(float* dst, float* src, int n)
    {
        int i = 0, w = Vector<float>.Count;
        for (; i + w <= n; i += w)
        {
            (Vector.Load(dst + i) + Vector.Load(src + i)).Store(dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] += src[i];
        }
    }

    public static void RmsNorm(float* dst, float* src, float* weight, int n, float eps)
    {
        int i = 0, w = Vector<float>.Count;
        Vector<double> a0 = Vector<double>.Zero, a1 = a0;
        for (; i + w <= n; i += w)
        {
            Vector.Widen(Vector.Load(src + i), out Vector<double> lo, out Vector<double> hi);
            a0 = Vector.FusedMultiplyAdd(lo, lo, a0);
            a1 = Vector.FusedMultiplyAdd(hi, hi, a1);
        }

        double sum = Vector.Sum(a0 + a1);
        for (; i < n; i++)
        {
            sum += (double)src[i] * src[i];
        }

        float scale = 1f / MathF.Sqrt((float)(sum / n) + eps);
        var f = new Vector<float>(scale);
        for (i = 0; i + w <= n; i += w)
        {
            (Vector.Load(src + i) * f * Vector.Load(weight + i)).Store(dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] = src[i] * scale * weight[i];
        }
    }

    public static void Softmax(float* x, int n)
    {
        float max = float.NegativeInfinity;
        for (int j = 0; j < n; j++)
        {
            max = MathF.Max(max, x[j]);
        }

        int i = 0, w = Vector<float>.Count;
        var m = new Vector<float>(max);
        Vector<double> acc = Vector<double>.Zero;
        for (; i + w <= n; i += w)
        {
            Vector<float> e = Vector.Exp(Vector.Load(x + i) - m);
            e.Store(x + i);
            Vector.Widen(e, out Vector<double> lo, out Vector<double> hi);
            acc += lo + hi;
        }

        double sum = Vector.Sum(acc);
        for (; i < n; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        float inv = (float)(1.0 / sum);
        var vi = new Vector<float>(inv);
        for (i = 0; i + w <= n; i += w)
        {
            (Vector.Load(x + i) * vi).Store(x + i);
        }

        for (; i < n; i++)
        {
            x[i] *= inv;
        }
    }

    public static void SwiGlu(float* gate, float* up, int n)
    {
        int i = 0, w = Vector<float>.Count;
        for (; i + w <= n; i += w)
        {
            Vector<float> g = Vector.Load(gate + i);
            (g / (Vector<float>.One + Vector.Exp(-g)) * Vector.Load(up + i)).Store(gate + i);
        }

        for (; i < n; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>Exact: an int8 times an f16 scale fits a float's significand, so every lane equals the scalar product.</summary>
    public static void DequantizeQ8(byte* blocks, float* dst, int n)
    {
        int w = Vector<float>.Count, step = Vector<sbyte>.Count; // 32 or 16 bytes: a block is one or two loads
        for (int b = 0; b < n / Q8_0.BlockSize; b++)
        {
            byte* blk = blocks + (b * Q8_0.BlockBytes);
            var d = new Vector<float>(Fp16.Table[*(ushort*)blk]);
            sbyte* q = (sbyte*)(blk + 2);
            float* o = dst + (b * Q8_0.BlockSize);
            for (int j = 0; j < Q8_0.BlockSize; j += step)
            {
                Vector.Widen(Vector.Load(q + j), out Vector<short> s0, out Vector<short> s1);
                Vector.Widen(s0, out Vector<int> i0, out Vector<int> i1);
                Vector.Widen(s1, out Vector<int> i2, out Vector<int> i3);
                (Vector.ConvertToSingle(i0) * d).Store(o + j);
                (Vector.ConvertToSingle(i1) * d).Store(o + j + w);
                (Vector.ConvertToSingle(i2) * d).Store(o + j + (2 * w));
                (Vector.ConvertToSingle(i3) * d).Store(o + j + (3 * w));
            }
        }
    }

    public static void DequantizeF16(ushort* src, float* dst, int n) => ScalarOps.DequantizeF16(src, dst, n);
}
