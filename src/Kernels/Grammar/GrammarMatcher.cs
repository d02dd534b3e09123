namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// One constrained generation: the grammar state after the tokens so far, and per step the mask of tokens that may
/// come next (EOS exactly when the grammar can end). Not thread-safe; allocates nothing per token once the states it
/// meets are in the <see cref="TokenGrammar"/>'s cache.
/// </summary>
public sealed class GrammarMatcher
{
    private readonly TokenGrammar grammar;
    private readonly TokenVocabulary vocab;
    private readonly GrammarState state;
    private readonly MatcherScratch scratch;

    internal GrammarMatcher(TokenGrammar grammar)
    {
        this.grammar = grammar;
        vocab = grammar.Vocabulary;
        var stepper = new GrammarStepper(grammar.Grammar);
        state = new GrammarState(stepper);
        scratch = new MatcherScratch(vocab, stepper);
    }

    public TokenGrammar TokenGrammar => grammar;

    /// <summary>The byte-level state (what has been accepted).</summary>
    public GrammarState State => state;

    public bool CanEnd => state.CanEnd;

    public void Reset() => state.Reset();

    /// <summary>
    /// Writes the allowed tokens into <paramref name="mask"/> (bit id of word id / 64; at least
    /// <see cref="TokenVocabulary.MaskLength"/> words). Returns whether any token other than EOS is allowed; EOS is set
    /// when the grammar can end. With <paramref name="stripLeadingSpace"/> a token's leading space does not count
    /// (the first token after BOS, whose dummy-prefix space the detokenizer drops).
    /// </summary>
    public bool FillMask(Span<ulong> mask, bool stripLeadingSpace = false)
    {
        var m = mask[..vocab.MaskLength];
        m.Clear();
        var stacks = state.Stacks;
        if (!state.Partial.IsNone || stripLeadingSpace)
        {
            // Mid-character or a shifted first token: no cache entry fits, walk the vocabulary from the whole state.
            var all = grammar.AllTokens.AsSpan();
            if (stripLeadingSpace)
            {
                var (from, to) = vocab.SpaceRun;
                scratch.Walker.Walk(stacks, state.Partial, all[..from], 0, local: false, m, null);
                scratch.Walker.Walk(stacks, state.Partial, all[from..to], 1, local: false, m, null);
                scratch.Walker.Walk(stacks, state.Partial, all[to..], 0, local: false, m, null);
            }
            else
            {
                scratch.Walker.Walk(stacks, state.Partial, all, 0, local: false, m, null);
            }
        }
        else
        {
            for (int i = 0; i < stacks.Count; i++)
            {
                var s = stacks[i];
                if (s.Length > 0)
                {
                    grammar.OrStackMask(s, m, scratch);
                }
            }
        }

        bool any = m.ContainsAnyExcept(0UL);
        if (state.CanEnd)
        {
            m[vocab.EosId >> 6] |= 1UL << vocab.EosId;
        }

        return any;
    }

    /// <summary>Advances over <paramref name="token"/>; throws when the grammar does not allow it here.</summary>
    public void Accept(int token, bool stripLeadingSpace = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(token, vocab.Size);
        if (token == vocab.EosId)
        {
            if (!state.CanEnd)
            {
                throw new InvalidOperationException("EOS is not allowed here: the grammar is not complete");
            }

            return;
        }

        var bytes = vocab.Bytes(token);
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
            if (!state.TryAccept(bytes[i]))
            {
                throw new InvalidOperationException($"token {token} is not allowed by the grammar after {state.Position} bytes");
            }
        }
    }
}
