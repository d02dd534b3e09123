namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// One constrained generation: the grammar state after the tokens so far, and per step the mask of tokens that may
/// come next (EOS exactly when the grammar can end). Not thread-safe; allocates nothing per token once the states it
/// meets are in the <see cref="TokenGrammar"/>'s cache.
/// </summary>
public sealed class GrammarMatcher
{
    private readonly TokenGrammar _grammar;
    private readonly TokenVocabulary _vocab;
    private readonly GrammarState _state;
    private readonly MatcherScratch _scratch;

    internal GrammarMatcher(TokenGrammar grammar)
    {
        this._grammar = grammar;
        _vocab = grammar.Vocabulary;
        var stepper = new GrammarStepper(grammar.Grammar);
        _state = new GrammarState(stepper);
        _scratch = new MatcherScratch(_vocab, stepper);
    }

    public TokenGrammar TokenGrammar => _grammar;

    /// <summary>The byte-level state (what has been accepted).</summary>
    public GrammarState State => _state;

    public bool CanEnd => _state.CanEnd;

    public void Reset() => _state.Reset();

    /// <summary>
    /// Writes the allowed tokens into <paramref name="mask"/> (bit id of word id / 64; at least
    /// <see cref="TokenVocabulary.MaskLength"/> words). Returns whether any token other than EOS is allowed; EOS is set
    /// when the grammar can end. With <paramref name="stripLeadingSpace"/> a token's leading space does not count
    /// (the first token after BOS, whose dummy-prefix space the detokenizer drops).
    /// </summary>
    public bool FillMask(Span<ulong> mask, bool stripLeadingSpace = false)
    {
        var m = mask[.._vocab.MaskLength];
        m.Clear();
        var stacks = _state.Stacks;
        if (!_state.Partial.IsNone || stripLeadingSpace)
        {
            // Mid-character or a shifted first token: no cache entry fits, walk the vocabulary from the whole state.
            var all = _grammar.AllTokens.AsSpan();
            if (stripLeadingSpace)
            {
                var (from, to) = _vocab.SpaceRun;
                _scratch.Walker.Walk(stacks, _state.Partial, all[..from], 0, local: false, m, null);
                _scratch.Walker.Walk(stacks, _state.Partial, all[from..to], 1, local: false, m, null);
                _scratch.Walker.Walk(stacks, _state.Partial, all[to..], 0, local: false, m, null);
            }
            else
            {
                _scratch.Walker.Walk(stacks, _state.Partial, all, 0, local: false, m, null);
            }
        }
        else
        {
            for (int i = 0; i < stacks.Count; i++)
            {
                var s = stacks[i];
                if (s.Length > 0)
                {
                    _grammar.OrStackMask(s, m, _scratch);
                }
            }
        }

        bool any = m.ContainsAnyExcept(0UL);
        if (_state.CanEnd)
        {
            m[_vocab.EosId >> 6] |= 1UL << _vocab.EosId;
        }

        return any;
    }

    /// <summary>Advances over <paramref name="token"/>; throws when the grammar does not allow it here.</summary>
    public void Accept(int token, bool stripLeadingSpace = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(token, _vocab.Size);
        if (token == _vocab.EosId)
        {
            if (!_state.CanEnd)
            {
                throw new InvalidOperationException("EOS is not allowed here: the grammar is not complete");
            }

            return;
        }

        var bytes = _vocab.Bytes(token);
        if (stripLeadingSpace && bytes.Length > 0 && bytes[0] == (byte)' ')
        {
            bytes = bytes[1..];
        }

        if (bytes.Length == 0)
        {
            throw new InvalidOperationException($"token {token} has no text and is not allowed by a grammar");
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            if (!_state.TryAccept(bytes[i]))
            {
                throw new InvalidOperationException($"token {token} is not allowed by the grammar after {_state.Position} bytes");
            }
        }
    }
}
