using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Grammar;

/// <summary>
/// The vocabulary as the grammar sees it: each token's bytes, and the tokens with any bytes sorted by them, so that
/// walking the sorted list is walking a byte trie of the vocabulary (neighbours share their longest prefixes; a prefix
/// the grammar rejects rules out the run of tokens after it at once). Tokens without bytes (BOS, EOS, unknown,
/// control) are never allowed by a grammar, except EOS when the grammar can end.
/// </summary>
public sealed class TokenVocabulary
{
    private readonly byte[] _data;
    private readonly int[] _start;

    private TokenVocabulary(IReadOnlyList<byte[]> tokens, int eosId)
    {
        int n = tokens.Count;
        ArgumentOutOfRangeException.ThrowIfNegative(eosId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(eosId, n);
        Size = n;
        EosId = eosId;
        _start = new int[n + 1];
        int total = 0;
        for (int i = 0; i < n; i++)
        {
            _start[i] = total;
            total += tokens[i].Length;
        }

        _start[n] = total;
        _data = new byte[total];
        for (int i = 0; i < n; i++)
        {
            tokens[i].CopyTo(_data, _start[i]);
        }

        var ids = Enumerable.Range(0, n).Where(i => i != eosId && tokens[i].Length > 0).ToArray();
        Array.Sort(ids, (a, b) =>
        {
            int c = Bytes(a).SequenceCompareTo(Bytes(b));
            return c != 0 ? c : a.CompareTo(b);
        });
        Sorted = ids;
        MaxLength = ids.Length == 0 ? 0 : ids.Max(i => _start[i + 1] - _start[i]);

        // Tokens starting with a space form one run of the sorted list (see SpaceRun).
        int from = Array.FindIndex(ids, i => Bytes(i)[0] == (byte)' ');
        int to = from < 0 ? -1 : Array.FindLastIndex(ids, i => Bytes(i)[0] == (byte)' ') + 1;
        SpaceRun = from < 0 ? (0, 0) : (from, to);
    }

    /// <summary>Number of tokens (ids 0 .. Size-1).</summary>
    public int Size { get; }

    public int EosId { get; }

    /// <summary>Longest token in bytes.</summary>
    public int MaxLength { get; }

    /// <summary>ulongs in a mask over this vocabulary.</summary>
    public int MaskLength => (Size + 63) / 64;

    /// <summary>Ids of the tokens that have bytes (all but EOS and the byte-less ones), in byte order.</summary>
    internal int[] Sorted { get; }

    /// <summary>The range of <see cref="Sorted"/> holding the tokens whose first byte is a space.</summary>
    internal (int From, int To) SpaceRun { get; }

    public ReadOnlySpan<byte> Bytes(int id) => _data.AsSpan(_start[id], _start[id + 1] - _start[id]);

    /// <summary>The vocabulary of a tokenizer: '▁' as a space, byte tokens as their byte, control tokens as nothing.</summary>
    public static TokenVocabulary FromTokenizer(LlamaTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var tokens = new byte[tokenizer.VocabSize][];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = tokenizer.TokenBytesSpan(i).ToArray();
        }

        return new TokenVocabulary(tokens, tokenizer.EosId);
    }

    /// <summary>A vocabulary from raw token bytes (tests, other tokenizers).</summary>
    public static TokenVocabulary FromBytes(IReadOnlyList<byte[]> tokens, int eosId)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return new TokenVocabulary(tokens, eosId);
    }
}
