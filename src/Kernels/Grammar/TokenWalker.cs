namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// Runs a set of parser stacks over many tokens at once, in the vocabulary's byte order: the parse of a token's first
/// bytes is kept per depth and reused by the next token that shares them, and a prefix the grammar rejects rejects
/// every following token with that prefix without stepping. This is the byte-trie walk of docs/structured-output.md.
/// </summary>
internal sealed class TokenWalker
{
    private readonly TokenVocabulary _vocab;
    private readonly GrammarStepper _stepper;
    private readonly StackSet[] _level;
    private readonly Utf8Partial[] _partial;
    private readonly bool[] _escaped;

    public TokenWalker(TokenVocabulary vocab, GrammarStepper stepper)
    {
        this._vocab = vocab;
        this._stepper = stepper;
        _level = new StackSet[vocab.MaxLength + 2];
        for (int i = 0; i < _level.Length; i++)
        {
            _level[i] = new StackSet();
        }

        _partial = new Utf8Partial[_level.Length];
        _escaped = new bool[_level.Length];
    }

    /// <summary>
    /// Sets, in <paramref name="accepted"/>, the bit of every token of <paramref name="order"/> (positions in the sorted
    /// vocabulary, ascending) whose bytes after the first <paramref name="skip"/> the stacks can consume.
    /// In a local walk the stacks are one frame cut from its context: a frame that finishes with bytes left over
    /// cannot decide the token alone, and such tokens go to <paramref name="uncertain"/> (as sorted positions).
    /// </summary>
    public void Walk(StackSet start, Utf8Partial startPartial, ReadOnlySpan<int> order, int skip, bool local, Span<ulong> accepted, List<int>? uncertain)
    {
        _level[0].CopyFrom(start);
        _partial[0] = startPartial;
        _escaped[0] = false;
        int[] sorted = _vocab.Sorted;
        ReadOnlySpan<byte> prev = default;
        int valid = 0;               // level[0..valid] hold the parse of prev[..valid]
        int dead = int.MaxValue;     // level[dead] is empty (prev's prefix of that length is rejected)
        bool deadEscaped = false;
        foreach (int k in order)
        {
            int id = sorted[k];
            var bytes = _vocab.Bytes(id);
            if (bytes.Length <= skip)
            {
                continue;
            }

            bytes = bytes[skip..];
            int common = bytes.CommonPrefixLength(prev);
            prev = bytes;
            if (dead <= common)
            {
                if (deadEscaped)
                {
                    uncertain?.Add(k);
                }

                continue;
            }

            dead = int.MaxValue;
            int depth = Math.Min(valid, common);
            for (; depth < bytes.Length; depth++)
            {
                var src = _level[depth];
                var dst = _level[depth + 1];
                if (!_stepper.Step(src, _partial[depth], bytes[depth], dst, out _partial[depth + 1]))
                {
                    dst.Clear();
                }

                _escaped[depth + 1] = _escaped[depth] || (local && src.HasEmpty);
                if (dst.Count == 0)
                {
                    dead = depth + 1;
                    deadEscaped = _escaped[dead];
                    break;
                }
            }

            if (dead != int.MaxValue)
            {
                valid = dead;
                if (deadEscaped)
                {
                    uncertain?.Add(k);
                }

                continue;
            }

            valid = bytes.Length;
            accepted[id >> 6] |= 1UL << id;
        }
    }
}
