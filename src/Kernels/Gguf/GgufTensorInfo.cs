namespace EdgeLlm.Kernels.Gguf;

/// <summary>
/// One tensor's directory entry. Shape is in ggml "ne" order: Shape[0] is the innermost dimension (row length).
/// Offset is relative to the start of the data section; ByteSize is the exact size without padding.
/// </summary>
public sealed record GgufTensorInfo(string Name, GgmlType Type, long[] Shape, long Offset, long ByteSize)
{
    /// <summary>Product of the dimensions (the reader has already checked it does not overflow).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long dim in Shape)
            {
                count = checked(count * dim);
            }

            return count;
        }
    }
}
