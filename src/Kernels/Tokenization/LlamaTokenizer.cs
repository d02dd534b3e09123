using System.Buffers.Binary;
using System.Text;

namespace EdgeLlm.Kernels.Tokenization;

/// <summary>
/// The Llama / Llama-2 SentencePiece tokenizer (BPE over a scored vocabulary, byte fallback, dummy prefix space),
/// as llama.cpp's SPM tokenizer runs it. Immutable after construction: <see cref="Encode"/> and
/// <see cref="Decode"/> may be called from several threads at once.
/// </summary>
/// <remarks>
/// <para>
/// Why our own BPE and not Microsoft.ML.Tokenizers: <c>Microsoft.ML.Tokenizers.LlamaTokenizer</c> 2.0.1, created
/// from the same <c>tokenizer.model</c>, got 2 of the 46 llama.cpp reference cases
/// (<c>ggml-vocab-llama-spm.gguf.inp/.out</c>) wrong: <c>"!!!!!!"</c> gave <c>1738 21004 6824</c>
/// ("▁!", "!!!", "!!") where llama.cpp and Hugging Face give <c>1738 6824 21004</c> ("▁!", "!!", "!!!"), and the
/// long mixed case (the last one) differed in the runs <c>"------======="</c> and
/// <c>"''''''```````\"\"\"\"......"</c> (e.g. <c>1192 807 25512 2751</c> instead of <c>448 23648 2751 25512</c>).
/// Both are ties between equally scored merges, which llama.cpp resolves leftmost-first.
/// </para>
/// <para>
/// The algorithm: the text gets a leading space (when <see cref="AddSpacePrefix"/>), spaces become '▁', it is
/// split into Unicode scalar values, and the adjacent pair whose concatenation is the highest-scoring vocabulary
/// piece is merged again and again (ties: leftmost first), driven by a priority queue of candidate pairs, so
/// encoding is O(n log n). Symbols that are no piece are spelled with the byte tokens <c>&lt;0xXX&gt;</c> of
/// their UTF-8 bytes. Like SentencePiece (and unlike llama.cpp, which looks up every piece) merges may only
/// produce normal and user-defined pieces, so plain text can never turn into BOS, EOS, &lt;unk&gt; or a byte
/// token; with the Llama-2 vocabulary no such merge is reachable anyway, so the results are identical.
/// </para>
/// </remarks>
public sealed class LlamaTokenizer
{
    /// <summary>SentencePiece's whitespace marker, U+2581 LOWER ONE EIGHTH BLOCK.</summary>
    public const char SpaceMarker = '\u2581';

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly TokenType[] _types;
    // The bytes of every token back to back, token id's at [tokenStart[id], tokenStart[id + 1]): one array instead of
    // one per token, whose headers cost more than the bytes (32 000 tokens: 0.3 MB instead of 1.3 MB).
    private readonly byte[] _tokenData;
    private readonly int[] _tokenStart;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _mergeable;
    private readonly int[] _byteTokens = new int[256];

    /// <summary>Builds a tokenizer from a vocabulary in SentencePiece form.</summary>
    /// <param name="pieces">Pieces with '▁' for a space and <c>&lt;0xAB&gt;</c> for byte tokens; the index is the token id.</param>
    /// <param name="scores">One score per piece; higher merges first.</param>
    /// <param name="types">One type per piece, or null to infer them: <c>&lt;unk&gt;</c> Unknown, <c>&lt;s&gt;</c> and
    /// <c>&lt;/s&gt;</c> Control, <c>&lt;0xXX&gt;</c> Byte, everything else Normal.</param>
    /// <param name="bosId">Beginning-of-sequence token.</param>
    /// <param name="eosId">End-of-sequence token.</param>
    /// <param name="unknownId">Token for bytes that have no byte token (never needed with a byte-fallback vocabulary).</param>
    /// <param name="addSpacePrefix">Whether <see cref="Encode"/> prepends a space (SentencePiece's add_dummy_prefix).</param>
    public LlamaTokenizer(
        IReadOnlyList<string> pieces,
        IReadOnlyList<float> scores,
        IReadOnlyList<TokenType>? types = null,
        int bosId = 1,
        int eosId = 2,
        int unknownId = 0,
        bool addSpacePrefix = true)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(scores);
        int n = pieces.Count;
        if (n == 0)
        {
            throw new ArgumentException("the vocabulary is empty", nameof(pieces));
        }

        if (scores.Count != n)
        {
            throw new ArgumentException($"{scores.Count} scores for {n} pieces", nameof(scores));
        }

        if (types is not null && types.Count != n)
        {
            throw new ArgumentException($"{types.Count} token types for {n} pieces", nameof(types));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(bosId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bosId, n);
        ArgumentOutOfRangeException.ThrowIfNegative(eosId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(eosId, n);
        ArgumentOutOfRangeException.ThrowIfNegative(unknownId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(unknownId, n);

        _pieces = new string[n];
        _scores = new float[n];
        _types = new TokenType[n];
        _tokenStart = new int[n + 1];
        var data = new List<byte>(n * 8);

        // Only the constructor needs the id of every piece (the byte tokens); encoding needs only the mergeable ones.
        var pieceIds = new Dictionary<string, int>(n, StringComparer.Ordinal);
        var mergeablePieces = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int id = 0; id < n; id++)
        {
            string piece = pieces[id] ?? throw new ArgumentException($"piece {id} is null", nameof(pieces));
            TokenType type = types is null ? InferType(piece) : types[id];
            _pieces[id] = piece;
            _scores[id] = scores[id];
            _types[id] = type;
            data.AddRange(PieceBytes(piece, type));
            _tokenStart[id + 1] = data.Count;

            // Later duplicates win, as in llama.cpp's token_to_id map.
            pieceIds[piece] = id;
            if (type is TokenType.Normal or TokenType.UserDefined or TokenType.Undefined && piece.Length > 0)
            {
                mergeablePieces[piece] = id;
            }
        }

        _tokenData = [.. data];
        _mergeable = mergeablePieces.GetAlternateLookup<ReadOnlySpan<char>>();

        // Byte fallback as llama.cpp's byte_to_token: the piece "<0xXX>", else a piece that is the character itself.
        for (int b = 0; b < 256; b++)
        {
            string hex = $"<0x{b:X2}>";
            _byteTokens[b] = pieceIds.TryGetValue(hex, out int id) ? id
                : b < 0x80 && pieceIds.TryGetValue(((char)b).ToString(), out id) ? id
                : unknownId;
        }

        BosId = bosId;
        EosId = eosId;
        UnknownId = unknownId;
        AddSpacePrefix = addSpacePrefix;
    }

    public int VocabSize => _pieces.Length;

    public int BosId { get; }

    public int EosId { get; }

    public int UnknownId { get; }

    /// <summary>Whether <see cref="Encode"/> prepends a space, and decoding drops it again after BOS.</summary>
    public bool AddSpacePrefix { get; }

    /// <summary>The pieces in SentencePiece form ('▁' for space), e.g. for <c>tokenizer.ggml.tokens</c>.</summary>
    public IReadOnlyList<string> Pieces => _pieces;

    public IReadOnlyList<float> Scores => _scores;

    public IReadOnlyList<TokenType> Types => _types;

    /// <summary>
    /// Reads a vocabulary in llama2.c's <c>tokenizer.bin</c> format: int32 max_token_length, then per token
    /// float32 score, int32 byte length, UTF-8 bytes, until the end of the file. llama2.c's exporter wrote ' ' for
    /// '▁' and "\n&lt;s&gt;\n" / "\n&lt;/s&gt;\n" for BOS/EOS; they are turned back into SentencePiece form.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is truncated or corrupt (the message names the file).</exception>
    public static LlamaTokenizer FromLlama2cFile(string path) => FromLlama2cFile(path, expectedVocabSize: null);

    /// <summary>
    /// As <see cref="FromLlama2cFile(string)"/>, and checks the token count. The format does not store it, so a
    /// file cut exactly between two records is only detected when the caller knows the vocabulary size (llama2.c
    /// checkpoints have it in their header).
    /// </summary>
    public static LlamaTokenizer FromLlama2cFile(string path, int? expectedVocabSize)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data = File.ReadAllBytes(path);
        InvalidDataException Corrupt(string what) => new($"{path}: not a valid llama2.c tokenizer file: {what}");

        if (data.Length < 4)
        {
            throw Corrupt($"{data.Length} bytes, too short for the header");
        }

        int maxTokenLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxTokenLength is <= 0 or > 1 << 16)
        {
            throw Corrupt($"max_token_length {maxTokenLength} is out of range");
        }

        var pieces = new List<string>();
        var scores = new List<float>();
        int offset = 4;
        while (offset < data.Length)
        {
            int id = pieces.Count;
            if (data.Length - offset < 8)
            {
                throw Corrupt($"truncated in the header of token {id} at byte {offset}");
            }

            float score = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(offset));
            int length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + 4));
            offset += 8;
            if (float.IsNaN(score))
            {
                throw Corrupt($"token {id} has a NaN score");
            }

            if (length < 0 || length > maxTokenLength)
            {
                throw Corrupt($"token {id} has length {length} (max_token_length is {maxTokenLength})");
            }

            if (data.Length - offset < length)
            {
                throw Corrupt($"truncated in the text of token {id} ({length} bytes at byte {offset}, file ends at {data.Length})");
            }

            string raw;
            try
            {
                raw = StrictUtf8.GetString(data, offset, length);
            }
            catch (DecoderFallbackException)
            {
                throw Corrupt($"token {id} is not valid UTF-8");
            }

            offset += length;
            pieces.Add(raw switch
            {
                "\n<s>\n" => "<s>",
                "\n</s>\n" => "</s>",
                _ => raw.Replace(' ', SpaceMarker),
            });
            scores.Add(score);
        }

        if (pieces.Count == 0)
        {
            throw Corrupt("no tokens");
        }

        if (expectedVocabSize is int expected && expected != pieces.Count)
        {
            throw Corrupt($"{pieces.Count} tokens, expected {expected}");
        }

        int unk = pieces.IndexOf("<unk>");
        int bos = pieces.IndexOf("<s>");
        int eos = pieces.IndexOf("</s>");
        if (bos < 0 || eos < 0)
        {
            throw Corrupt("no <s> or </s> token");
        }

        return new LlamaTokenizer(pieces, scores, types: null, bos, eos, unk < 0 ? 0 : unk, addSpacePrefix: true);
    }

    /// <summary>
    /// Reads a SentencePiece <c>tokenizer.model</c> (the ModelProto protobuf) of a BPE model, such as the one Meta
    /// ships with Llama 2 and MobileLLM: pieces, scores, types, the unk/bos/eos ids and add_dummy_prefix.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is no SentencePiece BPE model (the message names the file).</exception>
    public static LlamaTokenizer FromSentencePieceModel(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        SentencePieceModel model;
        try
        {
            model = SentencePieceModel.Parse(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid SentencePiece model: {e.Message}", e);
        }

        if (model.ModelType != SentencePieceModel.Bpe)
        {
            throw new InvalidDataException($"{path}: SentencePiece model type {model.ModelType} is not BPE (2)");
        }

        int n = model.Pieces.Count;
        if (n == 0 || model.BosId < 0 || model.BosId >= n || model.EosId < 0 || model.EosId >= n || model.UnknownId < 0 || model.UnknownId >= n)
        {
            throw new InvalidDataException($"{path}: {n} pieces with unk/bos/eos ids {model.UnknownId}/{model.BosId}/{model.EosId}");
        }

        return new LlamaTokenizer(model.Pieces, model.Scores, model.Types, model.BosId, model.EosId, model.UnknownId, model.AddDummyPrefix);
    }

    /// <summary>
    /// The id of a piece given in SentencePiece form, if the vocabulary has it (the last one of duplicates, as llama.cpp's
    /// token_to_id map). A linear search: keeping a second map of every piece for this rare look-up cost 1 MB.
    /// </summary>
    public bool TryGetId(string piece, out int id)
    {
        id = Array.LastIndexOf(_pieces, piece);
        return id >= 0;
    }

    /// <summary>Encodes text as llama.cpp's SPM tokenizer does (special-token text such as "&lt;s&gt;" is not parsed).</summary>
    /// <param name="text">The text; the empty string encodes to nothing (just BOS when <paramref name="addBos"/>).</param>
    /// <param name="addBos">Whether to put BOS first.</param>
    public int[] Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 2 + 2);
        if (addBos)
        {
            output.Add(BosId);
        }

        if (text.Length > 0)
        {
            var normalized = new StringBuilder(text.Length + 1);
            if (AddSpacePrefix)
            {
                normalized.Append(SpaceMarker);
            }

            normalized.Append(text).Replace(' ', SpaceMarker);
            EncodeNormalized(normalized.ToString(), output);
        }

        return [.. output];
    }

    /// <summary>The bytes a token stands for: '▁' as a space, a byte token as its byte, control/unknown/unused tokens as nothing.</summary>
    public byte[] TokenBytes(int id) => TokenBytesSpan(id).ToArray();

    /// <summary>
    /// Decodes a token sequence to text. Control tokens (BOS, EOS) give nothing, and the leading space of a piece
    /// right after BOS is dropped — the dummy prefix <see cref="Encode"/> added — so
    /// <c>Decode(Encode(text, addBos: true)) == text</c>. Without a BOS in front nothing is dropped (the ids may be
    /// a continuation, where the space is real). Invalid UTF-8 becomes U+FFFD. Equals the concatenation of a
    /// <see cref="CreateDecoder"/>()'s chunks.
    /// </summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        int? previous = null;
        foreach (int id in ids)
        {
            bytes.AddRange(PieceBytesAfter(previous, id));
            previous = id;
        }

        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>
    /// A streaming decoder that returns only whole UTF-8 characters. <paramref name="previousToken"/> is the token
    /// before the first one to be appended (e.g. the last prompt token), for the leading-space rule after BOS.
    /// </summary>
    public Utf8TokenDecoder CreateDecoder(int? previousToken = null)
    {
        if (previousToken is int p)
        {
            CheckId(p);
        }

        return new Utf8TokenDecoder(this, previousToken);
    }

    internal ReadOnlySpan<byte> TokenBytesSpan(int id)
    {
        CheckId(id);
        return _tokenData.AsSpan(_tokenStart[id], _tokenStart[id + 1] - _tokenStart[id]);
    }

    /// <summary>The bytes of <paramref name="id"/> printed after <paramref name="previous"/>: without its leading space after BOS.</summary>
    internal ReadOnlySpan<byte> PieceBytesAfter(int? previous, int id)
    {
        ReadOnlySpan<byte> bytes = TokenBytesSpan(id);
        if (AddSpacePrefix && previous == BosId && bytes.Length > 0 && bytes[0] == (byte)' ')
        {
            bytes = bytes[1..];
        }

        return bytes;
    }

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)_pieces.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_pieces.Length}");
        }
    }

    private static TokenType InferType(string piece) => piece switch
    {
        "<unk>" => TokenType.Unknown,
        "<s>" or "</s>" => TokenType.Control,
        _ => TryParseBytePiece(piece, out _) ? TokenType.Byte : TokenType.Normal,
    };

    private static bool TryParseBytePiece(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    private static byte[] PieceBytes(string piece, TokenType type) => type switch
    {
        TokenType.Byte when TryParseBytePiece(piece, out byte b) => [b],
        TokenType.Byte => throw new ArgumentException($"byte token \"{piece}\" is not of the form <0xXX>"),
        TokenType.Control or TokenType.Unknown or TokenType.Unused => [],
        TokenType.UserDefined => Encoding.UTF8.GetBytes(piece), // llama.cpp prints user-defined pieces verbatim
        _ => Encoding.UTF8.GetBytes(piece.Replace(SpaceMarker, ' ')),
    };

    /// <summary>SentencePiece BPE over one normalized fragment, appending the ids to <paramref name="output"/>.</summary>
    private void EncodeNormalized(string text, List<int> output)
    {
        // Symbols are Unicode scalar values (a surrogate pair is one symbol), linked in a list; a merge grows the
        // left symbol over the right one, which gets length 0.
        int count = 0;
        var start = new int[text.Length];
        var length = new int[text.Length];
        for (int i = 0; i < text.Length; count++)
        {
            int len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            start[count] = i;
            length[count] = len;
            i += len;
        }

        var prev = new int[count];
        var next = new int[count];
        for (int i = 0; i < count; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }

        var queue = new PriorityQueue<Bigram, Bigram>(Math.Max(count, 1), BigramOrder.Instance);

        void TryAddBigram(int left, int right)
        {
            if (left < 0 || right < 0)
            {
                return;
            }

            int size = length[left] + length[right];
            if (_mergeable.TryGetValue(text.AsSpan(start[left], size), out int id))
            {
                var bigram = new Bigram(left, right, size, _scores[id]);
                queue.Enqueue(bigram, bigram);
            }
        }

        for (int i = 1; i < count; i++)
        {
            TryAddBigram(i - 1, i);
        }

        while (queue.TryDequeue(out Bigram bigram, out _))
        {
            int left = bigram.Left;
            int right = bigram.Right;

            // Stale: one side was merged away or grew since the pair was queued (sizes only grow, so an unchanged
            // sum means both sides are exactly as they were).
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != bigram.Size)
            {
                continue;
            }

            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0)
            {
                prev[next[right]] = left;
            }

            TryAddBigram(prev[left], left);
            TryAddBigram(left, next[left]);
        }

        // Every merged symbol is a piece by construction; a single symbol that is none is spelled in byte tokens.
        // (llama.cpp's rev_merge re-segmentation therefore never triggers for SPM and is not needed here.)
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = count > 0 ? 0 : -1; i >= 0; i = next[i])
        {
            ReadOnlySpan<char> symbol = text.AsSpan(start[i], length[i]);
            if (_mergeable.TryGetValue(symbol, out int id))
            {
                output.Add(id);
                continue;
            }

            int written = Encoding.UTF8.GetBytes(symbol, utf8);
            for (int b = 0; b < written; b++)
            {
                output.Add(_byteTokens[utf8[b]]);
            }
        }
    }

    private readonly record struct Bigram(int Left, int Right, int Size, float Score);

    /// <summary>Highest score first; equal scores: leftmost first (llama.cpp's llm_bigram_spm comparator).</summary>
    private sealed class BigramOrder : IComparer<Bigram>
    {
        public static readonly BigramOrder Instance = new();

        public int Compare(Bigram x, Bigram y)
        {
            int byScore = y.Score.CompareTo(x.Score);
            return byScore != 0 ? byScore : x.Left.CompareTo(y.Left);
        }
    }
}
