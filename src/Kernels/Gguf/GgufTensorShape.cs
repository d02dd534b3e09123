namespace EdgeLlm.Kernels.Gguf;

/// <summary>Shape rules shared by the reader (reject) and the writer (refuse): dims, overflow, whole blocks.</summary>
internal static class GgufTensorShape
{
    /// <summary>Returns null when the shape is valid for <paramref name="type"/>, else the problem in words.</summary>
    public static string? Validate(GgmlType type, ReadOnlySpan<long> shape, out long elementCount, out long byteSize)
    {
        elementCount = 0;
        byteSize = 0;
        if (shape.Length is < 1 or > GgufConstants.MaxDims)
        {
            return $"has {shape.Length} dimensions (must be 1..{GgufConstants.MaxDims})";
        }

        if (!GgmlTypeInfo.IsKnown((uint)type))
        {
            return $"has unknown ggml type {(uint)type}";
        }

        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 1)
            {
                return $"dimension {i} is {shape[i]} (must be >= 1)";
            }

            if (count > long.MaxValue / shape[i])
            {
                return $"element count of shape [{string.Join(", ", shape.ToArray())}] overflows";
            }

            count *= shape[i];
        }

        int blockSize = GgmlTypeInfo.BlockSize(type);
        if (shape[0] % blockSize != 0)
        {
            return $"row length {shape[0]} is not a whole number of {type} blocks of {blockSize}";
        }

        if (GgmlTypeInfo.IsInterleaved(type) && (shape.Length != 2 || shape[1] % GgmlTypeInfo.InterleavedRows != 0))
        {
            return $"is {type} with shape [{string.Join(", ", shape.ToArray())}]; that layout needs a matrix whose row count is a multiple of {GgmlTypeInfo.InterleavedRows}";
        }

        long blocks = count / blockSize;
        int blockBytes = GgmlTypeInfo.BlockBytes(type);
        if (blocks > long.MaxValue / blockBytes)
        {
            return $"byte size of shape [{string.Join(", ", shape.ToArray())}] overflows";
        }

        elementCount = count;
        byteSize = blocks * blockBytes;
        return null;
    }
}
