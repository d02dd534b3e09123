namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// A grammar bound to a vocabulary, with the mask caches (docs/structured-output.md, "Masks"):
/// <list type="bullet">
/// <item>per grammar position (the character set on top of a stack): the tokens that position accepts without
/// leaving its rule, which hold whatever lies below on the stack, and the short list of tokens that finish the rule
/// with bytes left over, which depend on it;</item>
/// <item>per whole stack: the exact mask, the first entry plus the dependent tokens checked against that stack.</item>
/// </list>
/// Both fill as generation visits states; a state seen before costs one lookup per stack. Thread-safe; create one per
/// grammar and vocabulary and share it (generation keeps one per grammar instance).
/// </summary>
public sealed class TokenGrammar
{
    /// <summary>Memory the per-stack masks may take before new ones are computed without being kept.</summary>
    public const long DefaultCacheBytes = 16L << 20;

    private readonly PositionEntry?[] _positions;
    private readonly StackMaskCache _stacks = new();
    private readonly Lock _gate = new();
    private readonly long _cacheBytesLimit;
    private long _cacheBytes;

    public TokenGrammar(CompiledGrammar grammar, TokenVocabulary vocabulary, long cacheBytesLimit = DefaultCacheBytes)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        ArgumentNullException.ThrowIfNull(vocabulary);
        Grammar = grammar;
        Vocabulary = vocabulary;
        this._cacheBytesLimit = cacheBytesLimit;
        _positions = new PositionEntry?[grammar.Code.Length];
        AllTokens = Enumerable.Range(0, vocabulary.Sorted.Length).ToArray();
    }

    public CompiledGrammar Grammar { get; }

    public TokenVocabulary Vocabulary { get; }

    /// <summary>Grammar positions whose context-independent mask has been computed.</summary>
    public int CachedPositions
    {
        get
        {
            lock (_gate)
            {
                return _positions.Count(p => p is not null);
            }
        }
    }

    /// <summary>Whole stacks whose exact mask has been kept.</summary>
    public int CachedStacks
    {
        get
        {
            lock (_gate)
            {
                return _stacks.Count;
            }
        }
    }

    /// <summary>Bytes held by the caches' masks and lists.</summary>
    public long CacheBytes
    {
        get
        {
            lock (_gate)
            {
                return _cacheBytes;
            }
        }
    }

    /// <summary>Every position of the sorted vocabulary, 0 .. n-1 (a full walk).</summary>
    internal int[] AllTokens { get; }

    public GrammarMatcher CreateMatcher() => new(this);

    /// <summary>ORs into <paramref name="mask"/> the tokens <paramref name="stack"/> (non-empty, at a character boundary) accepts.</summary>
    internal void OrStackMask(ReadOnlySpan<int> stack, Span<ulong> mask, MatcherScratch scratch)
    {
        ulong[]? known;
        lock (_gate)
        {
            if (!_stacks.TryGet(stack, out known))
            {
                known = null;
            }
        }

        if (known is not null)
        {
            Or(mask, known);
            return;
        }

        var entry = Position(stack[^1], scratch);
        if (entry.Uncertain.Length == 0)
        {
            Keep(stack, entry.Accepted, extraBytes: 0);
            Or(mask, entry.Accepted);
            return;
        }

        // The dependent tokens, checked against the whole stack.
        bool keep;
        lock (_gate)
        {
            keep = _cacheBytes + (entry.Accepted.Length * 8L) <= _cacheBytesLimit;
        }

        ulong[] exact = keep ? new ulong[entry.Accepted.Length] : scratch.Mask;
        entry.Accepted.CopyTo(exact, 0);
        scratch.Single.Clear();
        scratch.Single.Add(stack);
        scratch.Walker.Walk(scratch.Single, Utf8Partial.None, entry.Uncertain, 0, local: false, exact, null);
        if (keep)
        {
            Keep(stack, exact, exact.Length * 8L);
        }

        Or(mask, exact);
    }

    private void Keep(ReadOnlySpan<int> stack, ulong[] mask, long extraBytes)
    {
        lock (_gate)
        {
            if (_cacheBytes + extraBytes + (stack.Length * 4L) + 64 > _cacheBytesLimit && extraBytes > 0)
            {
                return;
            }

            if (!_stacks.TryGet(stack, out _))
            {
                _stacks.Add(stack, mask);
                _cacheBytes += extraBytes + (stack.Length * 4L) + 64;
            }
        }
    }

    /// <summary>The context-independent entry of the character set at <paramref name="position"/>, computed on first use.</summary>
    private PositionEntry Position(int position, MatcherScratch scratch)
    {
        lock (_gate)
        {
            if (_positions[position] is { } e)
            {
                return e;
            }
        }

        var accepted = new ulong[Vocabulary.MaskLength];
        var uncertain = new List<int>();
        scratch.Single.Clear();
        scratch.Single.Add([position]);
        scratch.Walker.Walk(scratch.Single, Utf8Partial.None, AllTokens, 0, local: true, accepted, uncertain);
        var entry = new PositionEntry(accepted, [.. uncertain]);
        lock (_gate)
        {
            if (_positions[position] is { } other)
            {
                return other;
            }

            _positions[position] = entry;
            _cacheBytes += (accepted.Length * 8L) + (entry.Uncertain.Length * 4L);
            return entry;
        }
    }

    internal static void Or(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        for (int i = 0; i < into.Length; i++)
        {
            into[i] |= from[i];
        }
    }

    /// <summary>Tokens a position accepts on its own, and (as sorted vocabulary positions) those that depend on the stack below.</summary>
    private sealed record PositionEntry(ulong[] Accepted, int[] Uncertain);
}
