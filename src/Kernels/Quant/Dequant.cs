using System.Runtime.InteropServices;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Quant;

/// <summary>Row expansion to floats for the tensor types this engine reads (embedding lookups).</summary>
public static class Dequant
{
    /// <summary>Expands one row of <paramref name="type"/> (<paramref name="dst"/>.Length elements) to floats.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (type)
        {
            case GgmlType.F32:
                CheckBytes(src.Length, (long)dst.Length * 4);
                MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
                break;
            case GgmlType.F16:
                CheckBytes(src.Length, (long)dst.Length * 2);
                Fp16.ToSingle(MemoryMarshal.Cast<byte, ushort>(src), dst);
                break;
            case GgmlType.Q8_0:
                Q8_0.Dequantize(src, dst);
                break;
            case GgmlType.Q4_0:
                Q4_0.Dequantize(src, dst);
                break;
            default:
                throw new NotSupportedException($"tensor type {type} is not supported");
        }
    }

    private static void CheckBytes(int have, long need)
    {
        if (have != need)
        {
            throw new ArgumentException($"row needs {need} bytes, got {have}");
        }
    }
}
