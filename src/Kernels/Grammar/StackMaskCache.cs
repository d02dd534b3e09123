using System.Diagnostics.CodeAnalysis;

namespace EdgeLlm.Kernels.Grammar;

/// <summary>Token masks keyed by a whole parser stack; looked up by span, so a hit allocates nothing.</summary>
internal sealed class StackMaskCache
{
    private readonly Dictionary<int[], ulong[]> _map;
    private readonly Dictionary<int[], ulong[]>.AlternateLookup<ReadOnlySpan<int>> _lookup;

    public StackMaskCache()
    {
        _map = new Dictionary<int[], ulong[]>(StackComparer.Instance);
        _lookup = _map.GetAlternateLookup<ReadOnlySpan<int>>();
    }

    public int Count => _map.Count;

    public bool TryGet(ReadOnlySpan<int> stack, [MaybeNullWhen(false)] out ulong[] mask) => _lookup.TryGetValue(stack, out mask);

    public void Add(ReadOnlySpan<int> stack, ulong[] mask) => _map[stack.ToArray()] = mask;

    private sealed class StackComparer : IEqualityComparer<int[]>, IAlternateEqualityComparer<ReadOnlySpan<int>, int[]>
    {
        public static readonly StackComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj) => StackSet.HashOf(obj);

        public bool Equals(ReadOnlySpan<int> alternate, int[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<int> alternate) => StackSet.HashOf(alternate);

        public int[] Create(ReadOnlySpan<int> alternate) => alternate.ToArray();
    }
}
