namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// ggml's Q4_0: blocks of 32 values stored as an f16 scale d followed by 16 bytes; byte j holds element j in its
/// low nibble and element j + 16 in its high nibble; value = d * (nibble - 8).
/// <see cref="Quantize"/> reproduces ggml's <c>quantize_row_q4_0_ref</c> bit for bit: max = the value of largest
/// magnitude (first one wins, sign kept), d = max / -8, id = d != 0 ? 1/d : 0,
/// nibble = min(15, (int8_t)(x * id + 8.5f)) (truncation toward zero).
/// </summary>
public static class Q4_0
{
    public const int BlockSize = 32;
    public const int BlockBytes = 18;

    /// <summary>Quantizes <paramref name="src"/> (a whole number of blocks) into <paramref name="dst"/>.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = Q8_0.Blocks(src.Length, dst.Length, BlockSize, BlockBytes);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = src.Slice(i * BlockSize, BlockSize);
            Span<byte> y = dst.Slice(i * BlockBytes, BlockBytes);

            float amax = 0f;
            float max = 0f;
            for (int j = 0; j < BlockSize; j++)
            {
                float v = x[j];
                if (amax < MathF.Abs(v))
                {
                    amax = MathF.Abs(v);
                    max = v;
                }
            }

            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            Q8_0.WriteScale(y, Fp16.FromSingle(d));
            for (int j = 0; j < BlockSize / 2; j++)
            {
                y[2 + j] = (byte)(Nibble(x[j] * id) | (Nibble(x[j + 16] * id) << 4));
            }
        }
    }

    /// <summary>Expands Q4_0 blocks to floats: d * (nibble - 8), with d read as f16.</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = Q8_0.Blocks(dst.Length, src.Length, BlockSize, BlockBytes);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<byte> b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.ToSingle(Q8_0.ReadScale(b));
            for (int j = 0; j < BlockSize / 2; j++)
            {
                dst[i * BlockSize + j] = ((b[2 + j] & 0x0F) - 8) * d;
                dst[i * BlockSize + j + 16] = ((b[2 + j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>ggml: <c>MIN(15, (int8_t)(v + 8.5f))</c>. v is in [-8, 8] (up to rounding), so the sum is in (0, 17).</summary>
    private static int Nibble(float v)
    {
        int t = (sbyte)(int)(v + 8.5f); // float → int truncates toward zero, as C's conversion does
        return Math.Min(15, t) & 0x0F;
    }
}
