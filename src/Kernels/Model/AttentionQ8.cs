using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// Attention over a Q8_0 KV cache without dequantizing rows into memory: each block's 32 int8 values become floats in
/// registers, times the block's f16 scale (exact: an 8-bit integer times an 11-bit significand fits a float), and go
/// straight into the same fused multiply-adds, in the same order, as <see cref="Ops.Dot(float*, float*, int)"/> and
/// <see cref="Ops.AddScaled(float*, float*, float, int)"/> on the dequantized row. So the results are bit-identical to
/// the dequantize-then-compute path (the scalar twin the tests compare with). AVX2 only, where Vector&lt;float&gt; is 8
/// wide; elsewhere the caller dequantizes.
/// </summary>
internal static unsafe class AttentionQ8
{
    /// <summary>Whether the fused kernels run here for a head of <paramref name="headDim"/> values.</summary>
    public static bool Supported(int headDim) =>
        Avx2.IsSupported && Vector<float>.Count == 8 && headDim % Q8_0.BlockSize == 0;

    /// <summary>Σ q[i]·(d·k[i]) over <paramref name="n"/> values stored as Q8_0 blocks at <paramref name="k"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* q, byte* k, int n)
    {
        // Ops.Dot's order: 8-float chunk j goes to acc0 when j is even, acc1 when odd; four chunks per block.
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0;
        for (int i = 0; i < n; i += 32, k += 34, q += 32)
        {
            Vector256<float> d = Vector256.Create(Fp16.Table[*(ushort*)k]);
            sbyte* v = (sbyte*)(k + 2);
            acc0 = Fma.MultiplyAdd(Vector256.Load(q), Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(v)) * d, acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Load(q + 8), Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(v + 8)) * d, acc1);
            acc0 = Fma.MultiplyAdd(Vector256.Load(q + 16), Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(v + 16)) * d, acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Load(q + 24), Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(v + 24)) * d, acc1);
        }

        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>dst[i] += (d·v[i])·s over <paramref name="n"/> values stored as Q8_0 blocks at <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(float* dst, byte* v, float s, int n)
    {
        Vector256<float> f = Vector256.Create(s);
        for (int i = 0; i < n; i += 32, v += 34, dst += 32)
        {
            Vector256<float> d = Vector256.Create(Fp16.Table[*(ushort*)v]);
            sbyte* x = (sbyte*)(v + 2);
            for (int j = 0; j < 32; j += 8)
            {
                Vector256<float> w = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(x + j)) * d;
                Fma.MultiplyAdd(w, f, Vector256.Load(dst + j)).Store(dst + j);
            }
        }
    }
}
