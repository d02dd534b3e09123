namespace EdgeLlm.Kernels.Gguf;

/// <summary>Fixed numbers of the GGUF format shared by the reader and the writer.</summary>
internal static class GgufConstants
{
    /// <summary>"GGUF" read as a little-endian u32.</summary>
    public const uint Magic = 0x46554747;

    public const uint Version = 3;

    public const int DefaultAlignment = 32;

    public const string AlignmentKey = "general.alignment";

    /// <summary>ggml tensors have at most 4 dimensions (GGML_MAX_DIMS).</summary>
    public const int MaxDims = 4;

    /// <summary>ggml keeps tensor names in char[64] including the terminating NUL (GGML_MAX_NAME).</summary>
    public const int MaxTensorNameBytes = 63;

    /// <summary>Arrays of arrays are legal GGUF; deeper nesting than this is treated as hostile.</summary>
    public const int MaxArrayNesting = 4;

    /// <summary>Strict UTF-8: invalid bytes throw rather than turning into U+FFFD.</summary>
    public static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsPowerOfTwo(long value) => value > 0 && (value & (value - 1)) == 0;

    /// <summary>Byte size of one scalar of <paramref name="type"/> on disk, or 0 for strings and arrays.</summary>
    public static int ScalarSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>Fewest bytes a value of <paramref name="type"/> can take: bounds array counts by the bytes left.</summary>
    public static int MinEncodedSize(GgufValueType type) => type switch
    {
        GgufValueType.String => 8,          // u64 length
        GgufValueType.Array => 4 + 8,       // element type + u64 count
        _ => ScalarSize(type),
    };

    public static bool IsKnownValueType(uint type) => type <= (uint)GgufValueType.Float64;
}
