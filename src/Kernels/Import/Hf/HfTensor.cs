using System.Buffers.Binary;

namespace EdgeLlm.Kernels.Import.Hf;

/// <summary>Element types of checkpoint tensors the importer reads.</summary>
public enum HfDType
{
    F32,
    F16,
    BF16,
}

/// <summary>
/// One tensor of a checkpoint, located but not read: <see cref="ReadBytes"/> reads its raw little-endian
/// elements from disk on demand, so only the tensor being converted is in memory.
/// </summary>
public abstract class HfTensor
{
    protected HfTensor(string name, string file, HfDType dtype, long[] shape)
    {
        Name = name;
        File = file;
        DType = dtype;
        Shape = shape;
    }

    /// <summary>The Hugging Face name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The file that holds it (for messages).</summary>
    public string File { get; }

    public HfDType DType { get; }

    /// <summary>PyTorch order: outermost dimension first ([out, in] for a linear weight).</summary>
    public long[] Shape { get; }

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public int ElementSize => DType == HfDType.F32 ? 4 : 2;

    public long ByteCount => ElementCount * ElementSize;

    public string Describe() => $"'{Name}' in {File} ({DType} [{string.Join(", ", Shape)}])";

    /// <summary>Reads the raw elements (row-major, little-endian).</summary>
    public abstract byte[] ReadBytes();

    /// <summary>Reads the elements widened to f32 (exactly: f16 and bf16 are subsets of f32).</summary>
    public float[] ReadFloats()
    {
        if (ElementCount > Array.MaxLength / 4)
        {
            throw new InvalidDataException($"tensor {Describe()} is too large to convert");
        }

        byte[] raw = ReadBytes();
        var result = new float[ElementCount];
        switch (DType)
        {
            case HfDType.F32:
                Buffer.BlockCopy(raw, 0, result, 0, raw.Length);
                break;
            case HfDType.F16:
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i)));
                }

                break;
            case HfDType.BF16:
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i)) << 16);
                }

                break;
            default:
                throw new NotSupportedException($"dtype {DType}");
        }

        return result;
    }
}
