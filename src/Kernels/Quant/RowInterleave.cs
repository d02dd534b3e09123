using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// The row-interleaved layout of <see cref="GgmlType.Q8_0_R8"/> and <see cref="GgmlType.Q4_0_R8"/>
/// (docs/interleaved.md): rows in groups of eight, and per group and block the eight f16 scales side by side, then the
/// eight rows' quant bytes in 4-byte units, unit by unit. A kernel that holds one row per 32-bit lane reads a block's
/// scales with one load and each unit of all eight rows with another, so it needs no per-block horizontal sum and no
/// per-row scale lookups. The bytes per row are those of the plain type, only their order differs; this class is the
/// one definition of that order (the kernels read it, the converter writes it, the tests check both against it).
/// </summary>
public static class RowInterleave
{
    /// <summary>Rows per group.</summary>
    public const int Rows = GgmlTypeInfo.InterleavedRows;

    /// <summary>Offset of plain byte <paramref name="i"/> of block <paramref name="b"/> of row <paramref name="row"/> in the interleaved matrix.</summary>
    public static long Offset(GgmlType plain, int row, int b, int i, int blocks)
    {
        int bb = GgmlTypeInfo.BlockBytes(plain);
        long group = ((((long)row / Rows) * blocks) + b) * Rows * bb;
        int k = row % Rows;
        return i < 2
            ? group + (2 * k) + i                                   // the eight scales first
            : group + (2 * Rows) + (((i - 2) / 4) * 4 * Rows) + (4 * k) + ((i - 2) % 4);
    }

    /// <summary>Rearranges <paramref name="rows"/> plain rows of <paramref name="cols"/> elements into the interleaved layout.</summary>
    public static void Interleave(GgmlType plain, ReadOnlySpan<byte> src, Span<byte> dst, int rows, int cols) =>
        Map(plain, src, dst, rows, cols, toInterleaved: true);

    /// <summary>The inverse of <see cref="Interleave"/>: plain rows from an interleaved matrix.</summary>
    public static void Deinterleave(GgmlType plain, ReadOnlySpan<byte> src, Span<byte> dst, int rows, int cols) =>
        Map(plain, src, dst, rows, cols, toInterleaved: false);

    /// <summary>Row <paramref name="row"/> of an interleaved matrix as a plain row (an embedding lookup).</summary>
    public static void CopyRow(GgmlType plain, ReadOnlySpan<byte> matrix, int row, int cols, Span<byte> plainRow)
    {
        int bb = GgmlTypeInfo.BlockBytes(plain), nb = cols / 32;
        if (plainRow.Length != nb * bb)
        {
            throw new ArgumentException($"a row of {cols} {plain} elements has {nb * bb} bytes, got {plainRow.Length}", nameof(plainRow));
        }

        for (int b = 0; b < nb; b++)
        {
            for (int i = 0; i < bb; i++)
            {
                plainRow[(b * bb) + i] = matrix[checked((int)Offset(plain, row, b, i, nb))];
            }
        }
    }

    private static void Map(GgmlType plain, ReadOnlySpan<byte> src, Span<byte> dst, int rows, int cols, bool toInterleaved)
    {
        if (plain is not (GgmlType.Q8_0 or GgmlType.Q4_0))
        {
            throw new ArgumentOutOfRangeException(nameof(plain), plain, "only Q8_0 and Q4_0 have an interleaved layout");
        }

        if (rows <= 0 || rows % Rows != 0)
        {
            throw new ArgumentException($"{rows} rows is not a positive multiple of {Rows}", nameof(rows));
        }

        long rowBytes = GgmlTypeInfo.RowBytes(plain, cols), total = rowBytes * rows;
        if (src.Length != total || dst.Length != total)
        {
            throw new ArgumentException($"{rows} rows of {cols} {plain} elements are {total} bytes; got {src.Length} in and {dst.Length} out");
        }

        int bb = GgmlTypeInfo.BlockBytes(plain), nb = cols / 32;
        for (int r = 0; r < rows; r++)
        {
            for (int b = 0; b < nb; b++)
            {
                int p = (int)((r * rowBytes) + (b * bb));
                for (int i = 0; i < bb; i++)
                {
                    int q = (int)Offset(plain, r, b, i, nb);
                    if (toInterleaved)
                    {
                        dst[q] = src[p + i];
                    }
                    else
                    {
                        dst[p + i] = src[q];
                    }
                }
            }
        }
    }
}
