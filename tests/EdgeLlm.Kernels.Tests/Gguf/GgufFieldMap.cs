using System.Buffers.Binary;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>
/// Walks a known-good GGUF file and lists where its structural fields are (counts, lengths, type tags, dims,
/// tensor types and offsets), so the fuzz can aim mutations at the fields a parser must distrust.
/// </summary>
internal static class GgufFieldMap
{
    public readonly record struct Field(string Name, int Offset, int Size);

    public static List<Field> Of(byte[] file, out int headerEnd)
    {
        var fields = new List<Field>();
        int at = 0;

        Field Take(string name, int size)
        {
            var field = new Field(name, at, size);
            fields.Add(field);
            at += size;
            return field;
        }

        ulong U64(Field f) => BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(f.Offset));
        uint U32(Field f) => BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(f.Offset));
        void Str(string name)
        {
            int length = (int)U64(Take(name + ".length", 8));   // read before advancing: Take moves 'at'
            at += length;
        }

        void Value(uint type, string name)
        {
            switch (type)
            {
                case 8:
                    Str(name);
                    break;
                case 9:
                    uint elementType = U32(Take(name + ".element_type", 4));
                    ulong count = U64(Take(name + ".count", 8));
                    for (ulong i = 0; i < count; i++)
                    {
                        Value(elementType, name);
                    }

                    break;
                default:
                    at += type switch { 0 or 1 or 7 => 1, 2 or 3 => 2, 4 or 5 or 6 => 4, _ => 8 };
                    break;
            }
        }

        Take("magic", 4);
        Take("version", 4);
        ulong tensors = U64(Take("tensor_count", 8));
        ulong kvs = U64(Take("kv_count", 8));
        for (ulong i = 0; i < kvs; i++)
        {
            Str("key");
            Value(U32(Take("value_type", 4)), "value");
        }

        for (ulong i = 0; i < tensors; i++)
        {
            Str("tensor_name");
            uint dims = U32(Take("n_dims", 4));
            for (uint d = 0; d < dims; d++)
            {
                Take("dim", 8);
            }

            Take("tensor_type", 4);
            Take("tensor_offset", 8);
        }

        headerEnd = at;
        return fields;
    }
}
