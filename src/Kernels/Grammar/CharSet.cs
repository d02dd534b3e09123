namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// A set of Unicode scalar values as sorted, disjoint, inclusive ranges, with a bitmap for ASCII (most grammar
/// characters are ASCII, and the mask walk tests one per vocabulary byte). Surrogates are never members: valid
/// UTF-8 cannot encode them.
/// </summary>
internal sealed class CharSet : IEquatable<CharSet>
{
    public const uint MaxCodePoint = 0x10FFFF;

    private readonly uint[] _lo;
    private readonly uint[] _hi;
    private readonly ulong _ascii0;
    private readonly ulong _ascii1;

    private CharSet(List<(uint Lo, uint Hi)> ranges)
    {
        _lo = new uint[ranges.Count];
        _hi = new uint[ranges.Count];
        for (int i = 0; i < ranges.Count; i++)
        {
            (_lo[i], _hi[i]) = ranges[i];
            for (uint c = ranges[i].Lo; c <= Math.Min(ranges[i].Hi, 127u); c++)
            {
                if (c < 64)
                {
                    _ascii0 |= 1UL << (int)c;
                }
                else
                {
                    _ascii1 |= 1UL << (int)(c - 64);
                }
            }
        }
    }

    public int RangeCount => _lo.Length;

    public (uint Lo, uint Hi) Range(int i) => (_lo[i], _hi[i]);

    public bool IsEmpty => _lo.Length == 0;

    /// <summary>Normalizes the ranges (sorts, merges, drops surrogates and empty ranges) and complements when negated.</summary>
    public static CharSet Create(IEnumerable<(uint Lo, uint Hi)> ranges, bool negated)
    {
        var sorted = ranges.Where(r => r.Lo <= r.Hi && r.Lo <= MaxCodePoint)
            .Select(r => (r.Lo, Math.Min(r.Hi, MaxCodePoint)))
            .OrderBy(r => r.Item1).ToList();
        var merged = new List<(uint Lo, uint Hi)>();
        foreach (var r in sorted)
        {
            if (merged.Count > 0 && r.Item1 <= merged[^1].Hi + 1)
            {
                merged[^1] = (merged[^1].Lo, Math.Max(merged[^1].Hi, r.Item2));
            }
            else
            {
                merged.Add(r);
            }
        }

        if (negated)
        {
            var complement = new List<(uint Lo, uint Hi)>();
            uint next = 0;
            foreach (var (l, h) in merged)
            {
                if (l > next)
                {
                    complement.Add((next, l - 1));
                }

                next = h + 1;
            }

            if (next <= MaxCodePoint)
            {
                complement.Add((next, MaxCodePoint));
            }

            merged = complement;
        }

        var result = new List<(uint Lo, uint Hi)>();
        foreach (var (l, h) in merged)
        {
            // cut out the surrogates D800..DFFF
            if (h < 0xD800 || l > 0xDFFF)
            {
                result.Add((l, h));
                continue;
            }

            if (l < 0xD800)
            {
                result.Add((l, 0xD7FF));
            }

            if (h > 0xDFFF)
            {
                result.Add((0xE000, h));
            }
        }

        return new CharSet(result);
    }

    public static CharSet Single(uint c) => Create([(c, c)], negated: false);

    public static CharSet Any { get; } = Create([], negated: true);

    public bool Contains(uint c)
    {
        if (c < 64)
        {
            return (_ascii0 >> (int)c & 1) != 0;
        }

        if (c < 128)
        {
            return (_ascii1 >> (int)(c - 64) & 1) != 0;
        }

        int a = 0, b = _lo.Length - 1;
        while (a <= b)
        {
            int m = (a + b) >> 1;
            if (c < _lo[m])
            {
                b = m - 1;
            }
            else if (c > _hi[m])
            {
                a = m + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether some member lies in [<paramref name="from"/>, <paramref name="to"/>] (a partly read UTF-8 character).</summary>
    public bool Intersects(uint from, uint to)
    {
        // first range whose upper end is >= from
        int a = 0, b = _lo.Length;
        while (a < b)
        {
            int m = (a + b) >> 1;
            if (_hi[m] < from)
            {
                a = m + 1;
            }
            else
            {
                b = m;
            }
        }

        return a < _lo.Length && _lo[a] <= to;
    }

    public bool Equals(CharSet? other) =>
        other is not null && _lo.AsSpan().SequenceEqual(other._lo) && _hi.AsSpan().SequenceEqual(other._hi);

    public override bool Equals(object? obj) => Equals(obj as CharSet);

    public override int GetHashCode()
    {
        var h = new HashCode();
        for (int i = 0; i < _lo.Length; i++)
        {
            h.Add(_lo[i]);
            h.Add(_hi[i]);
        }

        return h.ToHashCode();
    }
}
