namespace EdgeLlm.Kernels.Model;

/// <summary>
/// Attention one query head at a time: scores over the cache rows, softmax, the weighted sum of value rows, each
/// quantized row dequantized first. On <see cref="ScalarOps"/> it is the scalar reference of every attention kernel;
/// on <see cref="SimdOps"/> it is the twin the grouped kernels (<see cref="X86Attention"/>, <see cref="ArmAttention"/>)
/// are bit-exact with, and the SIMD paths' kernel for shapes those do not cover (an F16 cache, groups over four,
/// head sizes not in 32s).
/// </summary>
internal static unsafe class OneHeadAttention
{
    /// <summary>
    /// Heads q, q + hd, … of one group against cache rows 0..n-1 (at <paramref name="keys"/> + p·rb, already offset to
    /// the group's KV head): scores (times <paramref name="scale"/>) into sc + h·scStride, softmax, then the weighted sum
    /// of value rows into o + h·hd; <paramref name="tmp"/> holds one dequantized row (hd floats).
    /// </summary>
#if NET
    public static void Run<TOps>(KvCacheType type, int group, float* q, int hd, byte* keys, byte* values, long rb, int n, float scale, float* sc, int scStride, float* o, float* tmp)
        where TOps : struct, IVectorOps
    {
        for (int h = 0; h < group; h++)
        {
            float* qh = q + (h * hd), s = sc + (h * scStride), oh = o + (h * hd);
            for (int p = 0; p < n; p++)
            {
                s[p] = TOps.Dot(qh, Row<TOps>(keys + (p * rb), type, hd, tmp), hd) * scale;
            }

            TOps.Softmax(s, n);
            new Span<float>(oh, hd).Clear();
            for (int p = 0; p < n; p++)
            {
                TOps.AddScaled(oh, Row<TOps>(values + (p * rb), type, hd, tmp), s[p], hd);
            }
        }
    }

    /// <summary>A cache row's head slice as floats: in place for F32, else dequantized into <paramref name="tmp"/>.</summary>
    private static float* Row<TOps>(byte* row, KvCacheType type, int hd, float* tmp)
        where TOps : struct, IVectorOps
    {
        switch (type)
        {
            case KvCacheType.F32:
                return (float*)row;
            case KvCacheType.F16:
                TOps.DequantizeF16((ushort*)row, tmp, hd);
                return tmp;
            default:
                TOps.DequantizeQ8(row, tmp, hd);
                return tmp;
        }
    }
#else
    // netstandard2.1 (no static abstract interface members): the same loops on ScalarOps, the only ops there.
    public static void Run(KvCacheType type, int group, float* q, int hd, byte* keys, byte* values, long rb, int n, float scale, float* sc, int scStride, float* o, float* tmp)
    {
        for (int h = 0; h < group; h++)
        {
            float* qh = q + (h * hd), s = sc + (h * scStride), oh = o + (h * hd);
            for (int p = 0; p < n; p++)
            {
                s[p] = ScalarOps.Dot(qh, Row(keys + (p * rb), type, hd, tmp), hd) * scale;
            }

            ScalarOps.Softmax(s, n);
            new Span<float>(oh, hd).Clear();
            for (int p = 0; p < n; p++)
            {
                ScalarOps.AddScaled(oh, Row(values + (p * rb), type, hd, tmp), s[p], hd);
            }
        }
    }

    /// <summary>A cache row's head slice as floats: in place for F32, else dequantized into <paramref name="tmp"/>.</summary>
    private static float* Row(byte* row, KvCacheType type, int hd, float* tmp)
    {
        switch (type)
        {
            case KvCacheType.F32:
                return (float*)row;
            case KvCacheType.F16:
                ScalarOps.DequantizeF16((ushort*)row, tmp, hd);
                return tmp;
            default:
                ScalarOps.DequantizeQ8(row, tmp, hd);
                return tmp;
        }
    }
#endif
}
