namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// A set of parser stacks (each a sequence of grammar positions, top last), stored back to back in one growing
/// array so stepping the parser does not allocate once the buffers have reached their working size.
/// Duplicates are dropped on insertion (an ambiguous grammar would otherwise multiply them at every byte).
/// </summary>
internal sealed class StackSet
{
    /// <summary>More live stacks than this means a grammar so ambiguous that every step would crawl.</summary>
    public const int MaxStacks = 4096;

    private int[] _data = new int[256];
    private int[] _start = new int[16];
    private int[] _length = new int[16];
    private int[] _hash = new int[16];
    private int _used;

    public int Count { get; private set; }

    public ReadOnlySpan<int> this[int i] => _data.AsSpan(_start[i], _length[i]);

    public int Hash(int i) => _hash[i];

    /// <summary>Whether one of the stacks is empty (the grammar, or the frame a local walk started in, is finished).</summary>
    public bool HasEmpty
    {
        get
        {
            for (int i = 0; i < Count; i++)
            {
                if (_length[i] == 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether a stack with a top (a character still to match) exists.</summary>
    public bool HasLive
    {
        get
        {
            for (int i = 0; i < Count; i++)
            {
                if (_length[i] > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public void Clear()
    {
        Count = 0;
        _used = 0;
    }

    public static int HashOf(ReadOnlySpan<int> s)
    {
        uint h = 2166136261;
        foreach (int x in s)
        {
            h = (h ^ (uint)x) * 16777619;
        }

        return (int)h;
    }

    public void Add(ReadOnlySpan<int> s) => Add(s, HashOf(s));

    public void Add(ReadOnlySpan<int> s, int h)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_hash[i] == h && _length[i] == s.Length && _data.AsSpan(_start[i], _length[i]).SequenceEqual(s))
            {
                return;
            }
        }

        if (Count == MaxStacks)
        {
            throw new InvalidOperationException($"the grammar is too ambiguous: more than {MaxStacks} parses are alive at once");
        }

        if (Count == _start.Length)
        {
            Array.Resize(ref _start, Count * 2);
            Array.Resize(ref _length, Count * 2);
            Array.Resize(ref _hash, Count * 2);
        }

        if (_used + s.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _used + s.Length));
        }

        s.CopyTo(_data.AsSpan(_used));
        _start[Count] = _used;
        _length[Count] = s.Length;
        _hash[Count] = h;
        _used += s.Length;
        Count++;
    }

    public void CopyFrom(StackSet other)
    {
        Clear();
        for (int i = 0; i < other.Count; i++)
        {
            Add(other[i], other._hash[i]);
        }
    }
}
