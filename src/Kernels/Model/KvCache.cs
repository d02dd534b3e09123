using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Model;

/// <summary>
/// Keys and values of every executed block (a shared block's two passes have their own slots), laid out
/// [pass][KV head][position][head dim], so the history attention walks for one KV head is one contiguous run of
/// <see cref="HeadBytes"/>-byte rows. (Position-major rows made it a strided walk that the hardware prefetcher did not
/// follow: 350M's five 68-byte Q8_0 head slices per 340-byte row, grouped attention over a cold cache, Zen 4: 82–89 ns
/// per head and position against 37–47 head-major; 125M's three slices measured the same either way.) F32, F16 or
/// Q8_0 storage (Q8_0 blocks never cross a head: the head size is a multiple of 32); the memory is allocated
/// uninitialized, so pages become resident only as positions are written.
/// </summary>
internal sealed unsafe class KvCache
{
    private readonly byte[] _keyBytes;
    private readonly byte[] _valueBytes;
    private readonly byte* _keyBase;
    private readonly byte* _valueBase;
    private readonly int _rowBytes;
    private readonly int _headBytes;

    public KvCache(int passes, int contextLength, int kvDim, int headDim, KvCacheType type = KvCacheType.F32)
    {
        Passes = passes;
        ContextLength = contextLength;
        KvDim = kvDim;
        HeadDim = headDim;
        Type = type;
        if (headDim <= 0 || kvDim % headDim != 0)
        {
            throw new ArgumentException($"a KV width of {kvDim} is not a whole number of heads of {headDim}", nameof(headDim));
        }

        if (type == KvCacheType.Q8_0 && headDim % Q8_0.BlockSize != 0)
        {
            throw new ArgumentException($"a Q8_0 KV cache needs a head size that is a multiple of 32, got {headDim}", nameof(type));
        }

        _headBytes = type switch
        {
            KvCacheType.F32 => headDim * sizeof(float),
            KvCacheType.F16 => headDim * sizeof(ushort),
            KvCacheType.Q8_0 => headDim / Q8_0.BlockSize * Q8_0.BlockBytes,
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        _rowBytes = kvDim / headDim * _headBytes;
        long rows = (long)passes * contextLength;
        if (rows * _rowBytes > Array.MaxLength || rows * kvDim > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"a KV cache of {passes} x {contextLength} x {kvDim} values is too large; lower the context length");
        }

        _keyBytes = GC.AllocateUninitializedArray<byte>((int)(rows * _rowBytes), pinned: true);
        _valueBytes = GC.AllocateUninitializedArray<byte>((int)(rows * _rowBytes), pinned: true);
        fixed (byte* k = _keyBytes, v = _valueBytes)
        {
            _keyBase = k;
            _valueBase = v;
        }
    }

    public int Passes { get; }

    public int ContextLength { get; }

    public int KvDim { get; }

    public int HeadDim { get; }

    /// <summary>KV heads per position.</summary>
    public int KvHeads => KvDim / HeadDim;

    public KvCacheType Type { get; }

    /// <summary>Bytes of keys (or values) of all positions and heads.</summary>
    public long Bytes => 2L * Passes * ContextLength * _rowBytes;

    /// <summary>Stores the key and value of one position (all KV heads) in the cache's format.</summary>
    internal void Store(int pass, int pos, ReadOnlySpan<float> k, ReadOnlySpan<float> v)
    {
        Check(pass, pos);
        for (int h = 0; h < KvHeads; h++)
        {
            ReadOnlySpan<float> kh = k.Slice(h * HeadDim, HeadDim), vh = v.Slice(h * HeadDim, HeadDim);
            Write(KeyRows(pass, h) + ((long)pos * _headBytes), kh);
            Write(ValueRows(pass, h) + ((long)pos * _headBytes), vh);
        }
    }

    /// <summary>Position 0 of KV head <paramref name="kvHead"/>'s key rows in pass <paramref name="pass"/>; positions follow <see cref="HeadBytes"/> apart.</summary>
    internal byte* KeyRows(int pass, int kvHead) => _keyBase + HeadOffset(pass, kvHead);

    internal byte* ValueRows(int pass, int kvHead) => _valueBase + HeadOffset(pass, kvHead);

    /// <summary>Bytes from one KV head's run of positions to the next one's.</summary>
    internal long HeadStride => (long)ContextLength * _headBytes;

    /// <summary>Bytes of one head's key (or value) row in the cache's format: the distance between positions.</summary>
    internal int HeadBytes => _headBytes;

    /// <summary>Elements [offset, offset + dst.Length) of a position's keys as floats (offset and length whole blocks for Q8_0).</summary>
    internal void ReadKey(int pass, int pos, int offset, Span<float> dst) => ReadRow(_keyBase, pass, pos, offset, dst);

    internal void ReadValue(int pass, int pos, int offset, Span<float> dst) => ReadRow(_valueBase, pass, pos, offset, dst);

    private void ReadRow(byte* data, int pass, int pos, int offset, Span<float> dst)
    {
        Check(pass, pos);
        if (offset < 0 || offset + dst.Length > KvDim)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"elements {offset}..{offset + dst.Length} are outside a row of {KvDim}");
        }

        // head by head: a position's row is spread over the heads' runs
        for (int done = 0; done < dst.Length;)
        {
            int h = (offset + done) / HeadDim, within = (offset + done) % HeadDim;
            int take = Math.Min(HeadDim - within, dst.Length - done);
            Read(data + HeadOffset(pass, h) + ((long)pos * _headBytes), Type, within, dst.Slice(done, take));
            done += take;
        }
    }

    private void Write(byte* row, ReadOnlySpan<float> src)
    {
        switch (Type)
        {
            case KvCacheType.F32:
                src.CopyTo(new Span<float>(row, HeadDim));
                break;
            case KvCacheType.F16:
                var h = new Span<ushort>(row, HeadDim);
                for (int i = 0; i < src.Length; i++)
                {
                    h[i] = Fp16.FromSingle(src[i]);
                }

                break;
            default:
                Q8_0.Quantize(src, new Span<byte>(row, _headBytes));
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

    private long HeadOffset(int pass, int kvHead) => (((long)pass * KvHeads) + kvHead) * ContextLength * _headBytes;
}
