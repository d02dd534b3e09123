namespace EdgeLlm.Kernels.Gguf;

/// <summary>
/// One metadata value. Scalars are boxed .NET primitives (byte, sbyte, ushort, short, uint, int, float, bool,
/// string, ulong, long, double); arrays hold a typed .NET array of those, or GgufValue[] for arrays of arrays.
/// Accessors of the wrong type throw InvalidOperationException naming the actual type.
/// </summary>
public sealed class GgufValue
{
    private GgufValue(GgufValueType type, GgufValueType elementType, object value)
    {
        Type = type;
        _elementType = elementType;
        Value = value;
    }

    private readonly GgufValueType _elementType;

    public GgufValueType Type { get; }

    /// <summary>Element type of an array; throws for scalars.</summary>
    public GgufValueType ElementType => Type == GgufValueType.Array ? _elementType : throw WrongType("an array");

    public object Value { get; }

    /// <summary>Number of elements of an array; throws for scalars.</summary>
    public int Count => Value is Array array && Type == GgufValueType.Array ? array.Length : throw WrongType("an array");

    /// <summary>A scalar; <paramref name="value"/> must be the .NET type matching <paramref name="type"/>.</summary>
    internal static GgufValue OfScalar(GgufValueType type, object value)
    {
        if (type == GgufValueType.Array || ClrTypeOf(type) != value.GetType())
        {
            throw new ArgumentException($"{value.GetType().Name} is not the .NET type of GGUF {type}", nameof(value));
        }

        return new GgufValue(type, type, value);
    }

    /// <summary>An array; <paramref name="values"/> must be a T[] of the element type (GgufValue[] of arrays when nested).</summary>
    internal static GgufValue OfArray(GgufValueType elementType, Array values)
    {
        System.Type expected = elementType == GgufValueType.Array ? typeof(GgufValue) : ClrTypeOf(elementType);
        if (values.GetType().GetElementType() != expected || values.Rank != 1)
        {
            throw new ArgumentException($"{values.GetType().Name} is not an array of GGUF {elementType}", nameof(values));
        }

        if (values is GgufValue[] nested && nested.Any(v => v.Type != GgufValueType.Array))
        {
            throw new ArgumentException("an array of arrays may hold only arrays", nameof(values));
        }

        return new GgufValue(GgufValueType.Array, elementType, values);
    }

    /// <summary>The .NET type holding a scalar of <paramref name="type"/>.</summary>
    internal static System.Type ClrTypeOf(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => typeof(byte),
        GgufValueType.Int8 => typeof(sbyte),
        GgufValueType.UInt16 => typeof(ushort),
        GgufValueType.Int16 => typeof(short),
        GgufValueType.UInt32 => typeof(uint),
        GgufValueType.Int32 => typeof(int),
        GgufValueType.Float32 => typeof(float),
        GgufValueType.Bool => typeof(bool),
        GgufValueType.String => typeof(string),
        GgufValueType.UInt64 => typeof(ulong),
        GgufValueType.Int64 => typeof(long),
        GgufValueType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no scalar .NET type"),
    };

    /// <summary>"UInt32", or "Array of String" for arrays.</summary>
    public string TypeName => Type == GgufValueType.Array ? $"Array of {_elementType}" : Type.ToString();

    public string AsString() => Type == GgufValueType.String ? (string)Value : throw WrongType(nameof(GgufValueType.String));

    /// <summary>Any integer type; a UInt64 above long.MaxValue throws.</summary>
    public long AsInt64()
    {
        if (Type == GgufValueType.Array)
        {
            throw WrongType("an integer");
        }

        return ToInt64(Value) ?? throw WrongType("an integer");
    }

    /// <summary>Float32, Float64 or any integer type.</summary>
    public double AsDouble() => Type switch
    {
        GgufValueType.Float32 => (float)Value,
        GgufValueType.Float64 => (double)Value,
        GgufValueType.UInt64 => (ulong)Value,
        GgufValueType.Array or GgufValueType.String or GgufValueType.Bool => throw WrongType("a number"),
        _ => AsInt64(),
    };

    public bool AsBool() => Type == GgufValueType.Bool ? (bool)Value : throw WrongType(nameof(GgufValueType.Bool));

    /// <summary>A copy of an array of strings.</summary>
    public string[] AsStringArray() => Value is string[] strings && Type == GgufValueType.Array
        ? (string[])strings.Clone()
        : throw WrongType("an array of String");

    /// <summary>A copy of an array of Float32 (or Float64, narrowed).</summary>
    public float[] AsFloatArray() => Value switch
    {
        float[] floats => (float[])floats.Clone(),
        double[] doubles => Array.ConvertAll(doubles, d => (float)d),
        _ => throw WrongType("an array of Float32"),
    };

    /// <summary>A copy of an array of any integer element type; every element must fit an int.</summary>
    public int[] AsInt32Array()
    {
        // Test the declared element type, not "Value is int[]": the CLR lets a uint[] pass as an int[].
        if (Type == GgufValueType.Array && _elementType == GgufValueType.Int32)
        {
            var ints = (int[])Value;
            return (int[])ints.Clone();
        }

        if (Type != GgufValueType.Array || !IsInteger(_elementType))
        {
            throw WrongType("an array of integers");
        }

        var array = (Array)Value;
        var result = new int[array.Length];
        for (int i = 0; i < result.Length; i++)
        {
            long value = ToInt64(array.GetValue(i)!)!.Value;
            if (value is < int.MinValue or > int.MaxValue)
            {
                throw new InvalidOperationException($"GGUF {TypeName} element {i} is {value}, which does not fit an Int32");
            }

            result[i] = (int)value;
        }

        return result;
    }

    public override string ToString() => Type switch
    {
        GgufValueType.Array => $"{TypeName}[{Count}]",
        GgufValueType.String => $"\"{Value}\"",
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static bool IsInteger(GgufValueType type) => type is GgufValueType.UInt8 or GgufValueType.Int8
        or GgufValueType.UInt16 or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32
        or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Integer scalars widened to long; null for non-integers; throws for a UInt64 that does not fit.</summary>
    private long? ToInt64(object value) => value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        long v => v,
        ulong v => v <= long.MaxValue
            ? (long)v
            : throw new InvalidOperationException($"GGUF {TypeName} value {v} does not fit an Int64"),
        _ => null,
    };

    private InvalidOperationException WrongType(string wanted) =>
        new($"GGUF value is {TypeName}, not {wanted}");
}
