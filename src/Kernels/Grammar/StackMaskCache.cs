using System.Diagnostics.CodeAnalysis;

namespace EdgeLlm.Kernels.Grammar;

/// <summary>Token masks keyed by a whole parser stack; looked up by span, so a hit allocates nothing.</summary>
internal sealed class StackMaskCache
{
    private readonly Dictionary<int[], ulong[]> _map;
#if NET
    private readonly Dictionary<int[], ulong[]>.AlternateLookup<ReadOnlySpan<int>> _lookup;
#endif

    public StackMaskCache()
    {
        _map = new Dictionary<int[], ulong[]>(StackComparer.Instance);
#if NET
        _lookup = _map.GetAlternateLookup<ReadOnlySpan<int>>();
#endif
    }

    public int Count => _map.Count;

#if NET
    public bool TryGet(ReadOnlySpan<int> stack, [MaybeNullWhen(false)] out ulong[] mask) => _lookup.TryGetValue(stack, out mask);
#else
    // netstandard2.1 has no alternate lookup: a probe copies the stack (same answers, one allocation per lookup)
    public bool TryGet(ReadOnlySpan<int> stack, [MaybeNullWhen(false)] out ulong[] mask) => _map.TryGetValue(stack.ToArray(), out mask);
#endif

    public void Add(ReadOnlySpan<int> stack, ulong[] mask) => _map[stack.ToArray()] = mask;

#if NET
    private sealed class StackComparer : IEqualityComparer<int[]>, IAlternateEqualityComparer<ReadOnlySpan<int>, int[]>
#else
    private sealed class StackComparer : IEqualityComparer<int[]>
#endif
    {
        public static readonly StackComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj) => StackSet.HashOf(obj);

        public bool Equals(ReadOnlySpan<int> alternate, int[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<int> alternate) => StackSet.HashOf(alternate);

        public int[] Create(ReadOnlySpan<int> alternate) => alternate.ToArray();
    }
}
