namespace EdgeLlm.Kernels.Gguf;

/// <summary>ggml tensor types, numbered as in ggml.h (the numbers are on disk in every GGUF).</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    BF16 = 30,

    /// <summary>
    /// Q4_0 with eight rows interleaved, written by our converter (docs/interleaved.md); not a ggml type, so
    /// llama.cpp refuses such a file instead of misreading it. The number is outside ggml's and ik_llama.cpp's ranges.
    /// </summary>
    Q4_0_R8 = 1002,

    /// <summary>Q8_0 with eight rows interleaved (docs/interleaved.md); as <see cref="Q4_0_R8"/>.</summary>
    Q8_0_R8 = 1008,
}

/// <summary>Block geometry of the tensor types: elements per block and bytes per block.</summary>
public static class GgmlTypeInfo
{
    /// <summary>True for the types this engine can read and compute with.</summary>
    public static bool IsSupported(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q8_0_R8 or GgmlType.Q4_0_R8;

    /// <summary>True for the block-quantized types the kernels multiply with int8 activations (plain or interleaved).</summary>
    public static bool IsQuantized(GgmlType type) =>
        type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q8_0_R8 or GgmlType.Q4_0_R8;

    /// <summary>True for the row-interleaved types (docs/interleaved.md): rows come in groups of <see cref="InterleavedRows"/>.</summary>
    public static bool IsInterleaved(GgmlType type) => type is GgmlType.Q8_0_R8 or GgmlType.Q4_0_R8;

    /// <summary>Rows per group of an interleaved type.</summary>
    public const int InterleavedRows = 8;

    /// <summary>The plain ggml type an interleaved type rearranges (the type itself for every other type).</summary>
    public static GgmlType Plain(GgmlType type) => type switch
    {
        GgmlType.Q8_0_R8 => GgmlType.Q8_0,
        GgmlType.Q4_0_R8 => GgmlType.Q4_0,
        _ => type,
    };

    /// <summary>The interleaved type of a plain Q8_0 or Q4_0.</summary>
    public static GgmlType Interleaved(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => GgmlType.Q8_0_R8,
        GgmlType.Q4_0 => GgmlType.Q4_0_R8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only Q8_0 and Q4_0 have an interleaved layout"),
    };

    /// <summary>Elements per block (1 for plain float types).</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 1,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 or GgmlType.Q8_0_R8 or GgmlType.Q4_0_R8 => 32,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K => 256,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type"),
    };

    /// <summary>Bytes per block, byte-identical to ggml's block structs.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q4_0 or GgmlType.Q4_0_R8 => 18,  // f16 d + 16 bytes of nibbles (interleaved: the same bytes per row)
        GgmlType.Q4_1 => 20,
        GgmlType.Q5_0 => 22,
        GgmlType.Q5_1 => 24,
        GgmlType.Q8_0 or GgmlType.Q8_0_R8 => 34,  // f16 d + 32 int8
        GgmlType.Q8_1 => 36,
        GgmlType.Q2_K => 84,
        GgmlType.Q3_K => 110,
        GgmlType.Q4_K => 144,
        GgmlType.Q5_K => 176,
        GgmlType.Q6_K => 210,
        GgmlType.Q8_K => 292,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type"),
    };

    /// <summary>True when <paramref name="value"/> is a ggml type number this table knows.</summary>
    public static bool IsKnown(uint value) => Enum.IsDefined(typeof(GgmlType), value);

    /// <summary>Bytes of a row of <paramref name="elements"/> elements; the count must be a whole number of blocks.</summary>
    public static long RowBytes(GgmlType type, long elements)
    {
        int bs = BlockSize(type);
        if (elements % bs != 0)
        {
            throw new ArgumentException($"{elements} elements is not a whole number of {type} blocks of {bs}", nameof(elements));
        }

        return elements / bs * BlockBytes(type);
    }
}
