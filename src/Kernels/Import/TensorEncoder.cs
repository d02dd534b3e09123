using System.Runtime.InteropServices;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Import;

/// <summary>Encodes f32 tensor data as a GGUF tensor type, row by row, straight into a stream.</summary>
public static class TensorEncoder
{
    /// <summary>Writes <paramref name="data"/> (rows of <paramref name="rowLength"/>) encoded as <paramref name="type"/>.</summary>
    public static void Write(Stream output, GgmlType type, ReadOnlySpan<float> data, int rowLength)
    {
        if (rowLength <= 0 || data.Length % rowLength != 0)
        {
            throw new ArgumentException($"{data.Length} values do not make whole rows of {rowLength}");
        }

        if (type == GgmlType.F32)
        {
            output.Write(MemoryMarshal.AsBytes(data));
            return;
        }

        if (GgmlTypeInfo.IsInterleaved(type))
        {
            // The plain rows first, then the one rearrangement (docs/interleaved.md); a tensor is in memory once anyway.
            GgmlType plain = GgmlTypeInfo.Plain(type);
            int rows = data.Length / rowLength;
            long rowBytes = GgmlTypeInfo.RowBytes(plain, rowLength);
            byte[] rowsPlain = new byte[checked(rowBytes * rows)];
            using (var buffer = new MemoryStream(rowsPlain))
            {
                Write(buffer, plain, data, rowLength);
            }

            byte[] interleaved = new byte[rowsPlain.Length];
            RowInterleave.Interleave(plain, rowsPlain, interleaved, rows, rowLength);
            output.Write(interleaved);
            return;
        }

        byte[] row = new byte[GgmlTypeInfo.RowBytes(type, rowLength)];
        for (int r = 0; r < data.Length; r += rowLength)
        {
            var src = data.Slice(r, rowLength);
            switch (type)
            {
                case GgmlType.F16:
                    for (int i = 0; i < rowLength; i++)
                    {
                        BitConverter.TryWriteBytes(row.AsSpan(2 * i), Fp16.FromSingle(src[i]));
                    }

                    break;
                case GgmlType.Q8_0:
                    Q8_0.Quantize(src, row);
                    break;
                case GgmlType.Q4_0:
                    Q4_0.Quantize(src, row);
                    break;
                default:
                    throw new NotSupportedException($"cannot encode tensors as {type}");
            }

            output.Write(row);
        }
    }
}
