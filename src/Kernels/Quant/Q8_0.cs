namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// ggml's Q8_0: blocks of 32 values stored as an f16 scale d followed by 32 int8, value = d * q.
/// <see cref="Quantize"/> reproduces ggml's <c>quantize_row_q8_0_ref</c> (what llama.cpp's quantize tool writes)
/// bit for bit: d = amax / 127, id = d != 0 ? 1/d : 0, q = roundf(x * id) (half away from zero).
/// </summary>
public static class Q8_0
{
    public const int BlockSize = 32;
    public const int BlockBytes = 34;

    /// <summary>Quantizes <paramref name="src"/> (a whole number of blocks) into <paramref name="dst"/>.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = Blocks(src.Length, dst.Length, BlockSize, BlockBytes);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<float> x = src.Slice(i * BlockSize, BlockSize);
            Span<byte> y = dst.Slice(i * BlockBytes, BlockBytes);

            float amax = 0f;
            for (int j = 0; j < BlockSize; j++)
            {
                float a = MathF.Abs(x[j]);
                amax = amax > a ? amax : a; // C's MAX(amax, fabsf(v))
            }

            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            WriteScale(y, Fp16.FromSingle(d));
            for (int j = 0; j < BlockSize; j++)
            {
                // roundf: half away from zero; (int8_t) of a value within [-127, 127]
                y[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
            }
        }
    }

    /// <summary>Expands Q8_0 blocks to floats: d * q, with d read as f16.</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = Blocks(dst.Length, src.Length, BlockSize, BlockBytes);
        for (int i = 0; i < nb; i++)
        {
            ReadOnlySpan<byte> b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.ToSingle(ReadScale(b));
            for (int j = 0; j < BlockSize; j++)
            {
                dst[i * BlockSize + j] = (sbyte)b[2 + j] * d;
            }
        }
    }

    internal static ushort ReadScale(ReadOnlySpan<byte> block) => (ushort)(block[0] | (block[1] << 8));

    internal static void WriteScale(Span<byte> block, ushort h)
    {
        block[0] = (byte)h;
        block[1] = (byte)(h >> 8);
    }

    /// <summary>Validates that <paramref name="elements"/> is whole blocks and <paramref name="bytes"/> holds them.</summary>
    internal static int Blocks(int elements, int bytes, int blockSize, int blockBytes)
    {
        if (elements % blockSize != 0)
        {
            throw new ArgumentException($"{elements} values is not a whole number of blocks of {blockSize}");
        }

        int nb = elements / blockSize;
        if (bytes != (long)nb * blockBytes)
        {
            throw new ArgumentException($"{nb} blocks need {(long)nb * blockBytes} bytes, got {bytes}");
        }

        return nb;
    }
}
