using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// A row-major weight matrix in place (typically inside the memory-mapped GGUF): <see cref="Rows"/> rows of
/// <see cref="Cols"/> elements, each row <see cref="RowBytes"/> bytes, rows contiguous. The memory must outlive
/// every use of this view.
/// </summary>
public unsafe readonly struct WeightMatrix
{
    public WeightMatrix(GgmlType type, byte* data, int rows, int cols)
    {
        if (!GgmlTypeInfo.IsSupported(type))
        {
            throw new NotSupportedException($"tensor type {type} is not supported by the matvec kernels");
        }

        if (data == null)
        {
            throw new ArgumentNullException(nameof(data));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);

        Type = type;
        Data = data;
        Rows = rows;
        Cols = cols;
        if (GgmlTypeInfo.IsInterleaved(type) && rows % GgmlTypeInfo.InterleavedRows != 0)
        {
            throw new ArgumentException($"a {type} matrix needs a multiple of {GgmlTypeInfo.InterleavedRows} rows, not {rows}", nameof(rows));
        }

        RowBytes = GgmlTypeInfo.RowBytes(type, cols); // throws unless cols is whole blocks
    }

    public GgmlType Type { get; }

    public byte* Data { get; }

    public int Rows { get; }

    public int Cols { get; }

    public long RowBytes { get; }

    /// <summary>Bytes of the whole matrix.</summary>
    public long TotalBytes => RowBytes * Rows;

    /// <summary>Start of row <paramref name="row"/> (of its group of eight for the interleaved types, docs/interleaved.md).</summary>
    public byte* Row(int row) => Data + (RowBytes * row);
}
