namespace EdgeLlm.Kernels.Model;

/// <summary>
/// Keys and values of every executed block (a shared block's two passes have their own slots),
/// laid out [pass][position][kvDim] so one head's history is a strided walk.
/// </summary>
public sealed class KvCache
{
    public KvCache(int passes, int contextLength, int kvDim)
    {
        Passes = passes;
        ContextLength = contextLength;
        KvDim = kvDim;
        long n = (long)passes * contextLength * kvDim;
        if (n > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"a KV cache of {passes} x {contextLength} x {kvDim} floats is too large; lower the context length");
        }

        Keys = GC.AllocateUninitializedArray<float>((int)n, pinned: true);
        Values = GC.AllocateUninitializedArray<float>((int)n, pinned: true);
    }

    public int Passes { get; }

    public int ContextLength { get; }

    public int KvDim { get; }

    public float[] Keys { get; }

    public float[] Values { get; }

    public long Bytes => 2L * Keys.Length * sizeof(float);

    public Span<float> Key(int pass, int pos) => Keys.AsSpan(Offset(pass, pos), KvDim);

    public Span<float> Value(int pass, int pos) => Values.AsSpan(Offset(pass, pos), KvDim);

    private int Offset(int pass, int pos) => ((pass * ContextLength) + pos) * KvDim;
}
