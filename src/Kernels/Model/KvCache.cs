using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// Keys and values of every executed block (a shared block's two passes have their own slots),
/// laid out [pass][position][kvDim] so one head's history is a strided walk. F32 (default), F16 or Q8_0 storage;
/// the memory is allocated uninitialized, so pages become resident only as positions are written.
/// </summary>
internal sealed unsafe class KvCache
{
    private readonly byte[] _keyBytes = [];
    private readonly byte[] _valueBytes = [];
    private readonly byte* _keyBase;
    private readonly byte* _valueBase;
    private readonly int _rowBytes;

    public KvCache(int passes, int contextLength, int kvDim)
        : this(passes, contextLength, kvDim, KvCacheType.F32)
    {
    }

    public KvCache(int passes, int contextLength, int kvDim, KvCacheType type)
    {
        Passes = passes;
        ContextLength = contextLength;
        KvDim = kvDim;
        Type = type;
        if (type == KvCacheType.Q8_0 && kvDim % Q8_0.BlockSize != 0)
        {
            throw new ArgumentException($"a Q8_0 KV cache needs a KV width that is a multiple of 32, got {kvDim}", nameof(type));
        }

        _rowBytes = type switch
        {
            KvCacheType.F32 => kvDim * sizeof(float),
            KvCacheType.F16 => kvDim * sizeof(ushort),
            KvCacheType.Q8_0 => kvDim / Q8_0.BlockSize * Q8_0.BlockBytes,
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        long rows = (long)passes * contextLength;
        if (rows * _rowBytes > Array.MaxLength || rows * kvDim > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"a KV cache of {passes} x {contextLength} x {kvDim} values is too large; lower the context length");
        }

        if (type == KvCacheType.F32)
        {
            Keys = GC.AllocateUninitializedArray<float>((int)(rows * kvDim), pinned: true);
            Values = GC.AllocateUninitializedArray<float>((int)(rows * kvDim), pinned: true);
            fixed (float* k = Keys, v = Values)
            {
                _keyBase = (byte*)k;
                _valueBase = (byte*)v;
            }
        }
        else
        {
            _keyBytes = GC.AllocateUninitializedArray<byte>((int)(rows * _rowBytes), pinned: true);
            _valueBytes = GC.AllocateUninitializedArray<byte>((int)(rows * _rowBytes), pinned: true);
            fixed (byte* k = _keyBytes, v = _valueBytes)
            {
                _keyBase = k;
                _valueBase = v;
            }
        }
    }

    public int Passes { get; }

    public int ContextLength { get; }

    public int KvDim { get; }

    public KvCacheType Type { get; }

    /// <summary>The F32 keys (empty for the other storage types).</summary>
    public float[] Keys { get; } = [];

    /// <summary>The F32 values (empty for the other storage types).</summary>
    public float[] Values { get; } = [];

    public long Bytes => 2L * Passes * ContextLength * _rowBytes;

    /// <summary>The F32 key row of a position (F32 caches only).</summary>
    public Span<float> Key(int pass, int pos) => Keys.AsSpan(Offset(pass, pos), KvDim);

    /// <summary>The F32 value row of a position (F32 caches only).</summary>
    public Span<float> Value(int pass, int pos) => Values.AsSpan(Offset(pass, pos), KvDim);

    /// <summary>Stores the key and value of one position in the cache's format.</summary>
    internal void Store(int pass, int pos, ReadOnlySpan<float> k, ReadOnlySpan<float> v)
    {
        Check(pass, pos);
        Write(_keyBase + RowOffset(pass, pos), k[..KvDim]);
        Write(_valueBase + RowOffset(pass, pos), v[..KvDim]);
    }

    /// <summary>Start of the key rows ([pass][position], <see cref="RowBytes"/> each).</summary>
    internal byte* KeyData => _keyBase;

    internal byte* ValueData => _valueBase;

    /// <summary>Bytes of one position's keys (or values) in the cache's format.</summary>
    internal int RowBytes => _rowBytes;

    /// <summary>Elements [offset, offset + dst.Length) of a key row as floats (offset and length whole blocks for Q8_0).</summary>
    internal void ReadKey(int pass, int pos, int offset, Span<float> dst) => Read(_keyBase + RowOffset(pass, pos), Type, offset, dst);

    internal void ReadValue(int pass, int pos, int offset, Span<float> dst) => Read(_valueBase + RowOffset(pass, pos), Type, offset, dst);

    private void Write(byte* row, ReadOnlySpan<float> src)
    {
        switch (Type)
        {
            case KvCacheType.F32:
                src.CopyTo(new Span<float>(row, KvDim));
                break;
            case KvCacheType.F16:
                var h = new Span<ushort>(row, KvDim);
                for (int i = 0; i < src.Length; i++)
                {
                    h[i] = Fp16.FromSingle(src[i]);
                }

                break;
            default:
                Q8_0.Quantize(src, new Span<byte>(row, _rowBytes));
                break;
        }
    }

    /// <summary>Elements [offset, offset + dst.Length) of a cache row of <paramref name="type"/> as floats (the scalar reference; tests); returns dst.</summary>
    internal static Span<float> Read(byte* row, KvCacheType type, int offset, Span<float> dst)
    {
        switch (type)
        {
            case KvCacheType.F32:
                new ReadOnlySpan<float>((float*)row + offset, dst.Length).CopyTo(dst);
                break;
            case KvCacheType.F16:
                fixed (float* pd = dst)
                {
                    ScalarOps.DequantizeF16((ushort*)row + offset, pd, dst.Length);
                }

                break;
            default:
                fixed (float* pd = dst)
                {
                    ScalarOps.DequantizeQ8(row + (offset / Q8_0.BlockSize * Q8_0.BlockBytes), pd, dst.Length);
                }

                break;
        }

        return dst;
    }

    private void Check(int pass, int pos)
    {
        if ((uint)pass >= (uint)Passes || (uint)pos >= (uint)ContextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(pos), $"pass {pass} position {pos} is outside the cache");
        }
    }

    private long RowOffset(int pass, int pos) => ((long)pass * ContextLength + pos) * _rowBytes;

    private int Offset(int pass, int pos) => ((pass * ContextLength) + pos) * KvDim;
}
